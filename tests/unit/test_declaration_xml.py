from decimal import Decimal

from lxml import etree

from seedsim.core.declaration import DeclarationDocument
from seedsim.core.declaration_rules import DECLARATION_RULES
from seedsim.core.validation import RuleContext, compiled_schema, validate_xsd
from seedsim.core.wco import MetaData
from seedsim.samples.consignments import DISCREPANCY_KINDS, ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS


def _docs(n=30, seed=7):
    gen = ConsignmentGenerator(seed, DEMO_CROSSINGS[0])
    for i in range(1, n + 1):
        c = gen.make(i, DISCREPANCY_KINDS[i % len(DISCREPANCY_KINDS)] if i % 3 == 0 else None)
        yield c.export, MetaData(wco_type_name="DEC", responsible_country_code="RS")
        yield c.import_, MetaData(wco_type_name="DEC", responsible_country_code="ME")


def test_generated_declarations_validate_and_pass_the_rules():
    schema = compiled_schema("wco/seedsim_metadata.xsd")
    for decl, meta in _docs():
        root = etree.fromstring(decl.to_xml(meta))
        assert validate_xsd(root, schema) == []
        assert DECLARATION_RULES.run(decl, RuleContext()) == []


def test_model_to_xml_to_model_is_lossless():
    for decl, meta in _docs():
        back = DeclarationDocument.from_root(etree.fromstring(decl.to_xml(meta)))
        assert back.declaration == decl
        assert back.metadata == meta


def test_business_rules_report_every_problem_with_a_pointer():
    decl, _ = next(_docs(1))
    item = decl.items[0]
    bad_item = item.model_copy(
        update={
            "commodity": item.commodity.model_copy(
                update={
                    "goods_measure": item.commodity.goods_measure.model_copy(
                        update={
                            "net_mass": item.commodity.goods_measure.net_mass.model_copy(
                                update={"value": Decimal(10**7)}
                            )
                        }
                    )
                }
            )
        }
    )
    bad = decl.model_copy(
        update={
            "goods_item_quantity": 9,
            "exporter": decl.exporter.model_copy(
                update={"address": decl.exporter.address.model_copy(update={"country_code": "QQ"})}
            ),
            "goods_shipment": decl.goods_shipment.model_copy(update={"goods_items": [bad_item, *decl.items[1:]]}),
        }
    )
    issues = DECLARATION_RULES.run(bad, RuleContext(sender="RS"))
    by_rule = {i.rule: i for i in issues}
    assert set(by_rule) == {"R101", "R104", "R105"}
    assert (
        by_rule["R101"].pointer == "/MetaData/Declaration/Exporter/Address/CountryCode"
        and by_rule["R101"].value == "QQ"
    )
    assert by_rule["R104"].pointer.endswith("GovernmentAgencyGoodsItem[1]/Commodity/GoodsMeasure/GrossMassMeasure")
    assert all(i.message and 100 <= i.code < 200 for i in issues)

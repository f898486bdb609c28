"""The data-set rules remember their verdict per path (a speed-up for the hot path): same issues, bounded memory."""

from __future__ import annotations

import dataclasses

from lxml import etree

from seedsim.core.wco import MetaData, body_in
from seedsim.samples.consignments import ConsignmentGenerator
from seedsim.samples.crossings import DEMO_CROSSINGS
from seedsim.utility_blocks.data_set import VERDICTS_KEPT, check, rules_for
from seedsim.utility_blocks.loader import blocks_in


def _export_data_with_made_up_elements(count: int) -> etree._Element:
    export = ConsignmentGenerator(7, DEMO_CROSSINGS[0]).make(1).export
    root = etree.fromstring(export.to_xml(MetaData(wco_type_name="DEC", responsible_country_code="RS")))
    body = body_in(root)
    assert body is not None
    ns = etree.QName(body).namespace
    for i in range(count):
        etree.SubElement(body, f"{{{ns}}}MadeUp{i}")
    return root


def test_remembered_verdicts_give_the_issues_a_fresh_rule_set_gives_and_stay_bounded():
    rules = rules_for(blocks_in()["UB-SEED-EXIT"], "ExportData")
    assert rules is not None
    root = _export_data_with_made_up_elements(VERDICTS_KEPT + 500)

    first = check(root, rules)
    again = check(root, rules)  # now from the remembered verdicts
    fresh = check(root, dataclasses.replace(rules))  # a rule set that has remembered nothing

    assert first == again == fresh
    made_up = [i for i in first if i.rule == "UB301" and "MadeUp" in i.message]
    assert len(made_up) == VERDICTS_KEPT + 500
    assert len(rules._verdicts) <= VERDICTS_KEPT

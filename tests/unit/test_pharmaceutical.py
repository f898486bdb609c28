"""The WHO Certificate of a Pharmaceutical Product (CPP): the document, the medicines authority node (MED), and the
certificate link at an office of entry configured to require it."""

from __future__ import annotations

import random

import pytest

from seedsim.bootstrap import running_network
from seedsim.config import AgencyConfig, NodeConfig
from seedsim.conformance import validate_document
from seedsim.core.transport.memory import InMemoryBus
from seedsim.core.validation import RuleContext
from seedsim.messages import pharmaceutical as ph
from seedsim.messages.query import CONSIGNMENT_QUERY
from seedsim.nodes.inbox_node import send_from
from seedsim.runners.scenarios import corridor as corridors
from seedsim.runners.scenarios.scenario_model import Corridor, Goods, Traffic
from seedsim.samples.crossings import DEMO_CROSSINGS
from tests.unit.node_api import client
from tests.unit.seedsim_cli import seedsim
from tests.unit.test_agency_nodes import query, received
from tests.unit.test_veterinary import lodge_and_cross, settle

CPP = ph.CERTIFICATE_OF_PHARMACEUTICAL_PRODUCT
GOSTUN = DEMO_CROSSINGS[0]
MEDICINES = Goods(hs_code="300490", description="Medicaments, packaged for retail sale")


def test_a_licensed_product_names_its_licence_and_an_unlicensed_one_says_why():
    cert = CPP.generate(random.Random(2))
    assert validate_document(CPP.write(cert)).valid
    licensed = cert.model_copy(update={"product": cert.product.model_copy(update={"licensed": True}), "licence": None})
    unlicensed = cert.model_copy(
        update={"product": cert.product.model_copy(update={"licensed": False}), "not_licensed_reason": None}
    )
    assert [(i.rule, i.pointer) for i in ph.RULES.run(licensed, RuleContext())] == [
        ("CPP103", "/CertificateOfPharmaceuticalProduct/ProductLicence")
    ]
    assert [(i.rule, i.pointer) for i in ph.RULES.run(unlicensed, RuleContext())] == [
        ("CPP103", "/CertificateOfPharmaceuticalProduct/NotLicensedReason")
    ]


@pytest.fixture
async def border(tmp_path):
    """RS and ME customs, ME requiring veterinary and pharmaceutical certificates, and RS's medicines authority."""
    nodes = ["RS", "ME", "RS-MED"]
    configs = [
        NodeConfig(
            node=c,
            db=tmp_path / f"{c}.db",
            partners=[n for n in nodes if n != c],
            crossings=DEMO_CROSSINGS,
            required_certificates=["VeterinaryCertificate", "CertificateOfPharmaceuticalProduct"],
        )
        for c in ("RS", "ME")
    ]
    configs.append(AgencyConfig(node="RS-MED", db=tmp_path / "med.db", seed=3, partners=["RS", "ME"]))
    async with running_network(configs, InMemoryBus()) as network:
        yield network.transport, network.nodes


def medicines(index: int):
    traffic = Traffic(count=index, corridor="gostun", goods=MEDICINES)
    return corridors.generate(0, traffic, Corridor(name="gostun", crossings=[GOSTUN]), seed=17)[index - 1]


def cpp_for(c) -> ph.CertificateOfPharmaceuticalProduct:
    consignor = c.legs[0].exit_declaration.consignor().name
    cert = CPP.generate(random.Random(c.index))
    return cert.model_copy(
        update={
            "exporting_country_id": "RS",
            "importing_country_id": "ME",
            "applicant": consignor,
            "product": cert.product.model_copy(update={"hs_code": "300490"}),
        }
    )


async def test_medicines_with_a_valid_cpp_are_released_and_without_one_raise_crt501(border):
    bus, nodes = border
    certified, uncertified = medicines(1), medicines(2)
    async with client(nodes["RS-MED"]) as http:
        assert (await http.get("/health")).json()["kind"] == "MED"
    await nodes["RS-MED"].issue("ME", consignment=certified.ucr, doc=cpp_for(certified))
    await settle()
    released = await lodge_and_cross(nodes, certified)
    refused = await lodge_and_cross(nodes, uncertified)
    assert released["release"] is True and released["certificates"] == []
    [found] = refused["certificates"]
    assert refused["release"] is False and found["rule"] == "CRT501"
    assert "need a Certificate of a Pharmaceutical Product" in found["detail"]


async def test_a_withdrawn_cpp_raises_crt502_and_the_authority_answers_withdrawn(border):
    bus, nodes = border
    c = medicines(3)
    sent = await nodes["RS-MED"].issue("ME", consignment=c.ucr, doc=cpp_for(c))
    async with client(nodes["RS-MED"]) as http:
        withdrawn = (await http.post(f"/issued/{sent['issued']}/withdraw", json={})).json()
    assert withdrawn["withdrawn"] == sent["issued"] and withdrawn["sent_to"] == "ME"
    await send_from(nodes["ME"], CONSIGNMENT_QUERY, query(sent["issued"]), "RS-MED")
    await settle()
    [answer] = [a for a in received(bus, "ME", "ConsignmentQueryResponse") if a.ucr == sent["issued"]]
    assert answer.found and answer.status == "certificate_withdrawn"
    entry = await lodge_and_cross(nodes, c)
    assert [f["rule"] for f in entry["certificates"]] == ["CRT502"]


def test_the_cpp_ub_is_listed_and_played_by_the_workshop():
    listed = seedsim("ub", "list")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert any(line.startswith("UB-SEED-CPP ") for line in listed.stdout.splitlines())
    played = seedsim("demo", "--ub", "UB-SEED-CPP", timeout=120)
    assert played.returncode == 0 and "Traceback" not in played.stderr, played.stdout + played.stderr
    assert "/CertificateOfPharmaceuticalProduct/Product/HSCode = 30" in played.stdout
    assert played.stdout.rstrip().endswith("UB-SEED-CPP: 2 step(s), every one acknowledged")

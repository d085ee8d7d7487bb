"""Every workflow and change-request URL refuses the wrong person and changes nothing (issue 5)."""

from datetime import date

import pytest
from django.urls import reverse

from kpi_agreements.agreements.models import Agreement, ChangeItem, ChangeRequest, KPIComment, Proposal
from kpi_agreements.agreements.services import changes, negotiation
from kpi_agreements.workflow.models import Transition
from tests.factories import add_kpi


@pytest.fixture
def world(agreement, dims, org):
    for d in dims:
        add_kpi(agreement, d, d.weight, supervisor=org.head_a, collector=org.head_a)
    kpi = agreement.kpis.order_by("pk").first()
    Agreement.objects.filter(pk=agreement.pk).update(status="submitted")
    proposal = negotiation.proposal_add(kpi=kpi, user=org.member, weight=50)
    Agreement.objects.filter(pk=agreement.pk).update(status="signed")
    change = changes.change_open(
        agreement=agreement,
        user=org.head_a,
        grounds="policy",
        grounds_other="",
        justification="x",
        effective_round=12,
        today=date(2027, 3, 1),
    )
    item = changes.change_item_add(change=change, kind="edit", kpi=kpi, name="ใหม่")
    return {
        "agreement": agreement,
        "kpi": kpi,
        "proposal": proposal,
        "change": change,
        "item": item,
        "party": agreement.parties.get(role="pledgor"),
    }


def snapshot():
    return (
        list(Agreement.objects.values_list("status", "version")),
        Transition.objects.count(),
        KPIComment.objects.count(),
        list(Proposal.objects.values_list("status", flat=True)),
        list(ChangeRequest.objects.values_list("status", flat=True)),
        ChangeItem.objects.count(),
    )


CASES = [
    ("agreement_plan_edit", "agreement", {"vision": "x"}, ["executive", "member", "head_b", "outsider"]),
    ("agreement_parties_edit", "agreement", {}, ["executive", "member", "head_b", "outsider"]),
    ("kpi_create", "agreement", {"name": "x"}, ["executive", "member", "head_b", "outsider"]),
    ("kpi_comment_add", "kpi", {"text": "x"}, ["head_a", "planner", "executive", "outsider"]),
    ("proposal_add", "kpi", {"weight": "1"}, ["head_a", "planner", "executive", "outsider"]),
    ("proposal_decide", "proposal", {"accept": "1"}, ["member", "executive", "head_b", "outsider"]),
    ("change_create", "agreement", {"grounds": "policy"}, ["member", "executive", "head_b", "outsider"]),
    ("change_evidence_add", "change", {}, ["member", "executive", "head_b", "outsider"]),
    (
        "change_decide",
        "change",
        {"decision": "approve", "number": "1", "date": "2027-03-01", "text": "x"},
        ["head_a", "planner", "executive", "outsider"],
    ),
    ("change_submit", "change", {}, ["member", "executive", "head_b", "outsider"]),
    ("agreement_documents", "agreement", {}, ["head_b", "outsider"]),
]


@pytest.mark.parametrize("url_name, target, data, personas", CASES, ids=[c[0] for c in CASES])
def test_the_wrong_people_are_refused(world, org, client_for, url_name, target, data, personas):
    before = snapshot()
    for persona in personas:
        response = client_for(getattr(org, persona)).post(reverse(url_name, args=[world[target].pk]), data)
        assert response.status_code == 404, (persona, response.status_code)
    assert snapshot() == before


def test_only_the_party_signs_for_itself(world, org, client_for):
    Agreement.objects.filter(pk=world["agreement"].pk).update(status="approved")
    for persona in ("member", "planner", "executive"):
        response = client_for(getattr(org, persona)).post(
            reverse("agreement_sign", args=[world["agreement"].pk, world["party"].pk]), follow=True
        )
        assert response.status_code in (200, 404)
    assert world["agreement"].parties.filter(signed_at__isnull=False).count() == 0
    outsider = client_for(org.outsider).post(
        reverse("agreement_sign", args=[world["agreement"].pk, world["party"].pk])
    )
    assert outsider.status_code == 404


def test_removing_an_item_is_refused_to_outsiders(world, org, client_for):
    url = reverse("change_item_remove", args=[world["change"].pk, world["item"].pk])
    for persona in ("member", "executive", "outsider"):
        assert client_for(getattr(org, persona)).post(url).status_code == 404
    assert ChangeItem.objects.filter(pk=world["item"].pk).exists()

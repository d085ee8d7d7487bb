"""The agreement's workflow (issue 5): every (state, move, persona) triple, negotiation, signing, locking."""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.urls import reverse

from kpi_agreements.agreements.models import KPI, Agreement, Party, Proposal
from kpi_agreements.agreements.services import drafting, negotiation
from kpi_agreements.workflow.models import Notice, Transition
from kpi_agreements.workflow.notify import send_step_notices
from tests.factories import add_kpi

STATES = ["draft", "submitted", "revision", "approved", "signed"]
PERSONAS = ["planner", "head_a", "member", "executive", "outsider"]
EDITORS = {"planner", "head_a"}


@pytest.fixture
def complete(agreement, dims, org):
    """A complete, balanced draft for bureau A: head_a pledges to the director (head of the department)."""
    for d in dims:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.head_a, collector=org.head_a)
    return Agreement.objects.get(pk=agreement.pk)


def set_state(agreement, state):
    Agreement.objects.filter(pk=agreement.pk).update(status=state)
    return Agreement.objects.get(pk=agreement.pk)


def moves(agreement):
    return list(
        Transition.objects.filter(object_id=agreement.pk, content_type__model="agreement").values_list(
            "action", "from_state", "to_state"
        )
    )


def run(action, agreement, user):
    if action == "submit":
        return negotiation.agreement_submit(agreement=agreement, user=user)
    if action == "request_revision":
        return negotiation.agreement_request_revision(agreement=agreement, user=user, comment="ปรับเกณฑ์")
    return negotiation.agreement_approve(
        agreement=agreement, user=user, number=f"{agreement.pk}/2570", date=date(2026, 12, 1), text="เห็นชอบ"
    )


def allowed(state, action, persona):
    if action == "submit":
        return state in ("draft", "revision") and persona in EDITORS
    return state == "submitted" and persona == "member"


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ["submit", "request_revision", "approve"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_state_move_and_persona(
    complete, org, state, action, persona, django_capture_on_commit_callbacks
):
    agreement = set_state(complete, state)
    user = getattr(org, persona)
    target = {"submit": "submitted", "request_revision": "revision", "approve": "approved"}[action]
    if allowed(state, action, persona):
        with django_capture_on_commit_callbacks(execute=True):
            run(action, agreement, user)
        assert Agreement.objects.get(pk=agreement.pk).status == target
        assert moves(agreement) == [(action, state, target)]
    else:
        with pytest.raises(ValidationError) as exc:
            run(action, agreement, user)
        assert exc.value.messages[0]  # a reason, in words
        assert Agreement.objects.get(pk=agreement.pk).status == state
        assert moves(agreement) == []


def test_an_incomplete_agreement_cannot_be_submitted_and_says_what_is_missing(agreement, dims, org):
    add_kpi(agreement, dims[0], "45")
    with pytest.raises(ValidationError) as exc:
        negotiation.agreement_submit(agreement=agreement, user=org.head_a)
    assert any("100" in m for m in exc.value.messages)
    assert Agreement.objects.get(pk=agreement.pk).status == "draft"


def test_the_negotiation_from_submission_to_a_locked_signed_agreement(
    complete, org, client_for, django_capture_on_commit_callbacks
):
    kpi = complete.kpis.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        negotiation.agreement_submit(agreement=complete, user=org.head_a)
    # The committee comments and proposes; the unit accepts one proposal after the revision request.
    negotiation.kpi_comment_add(kpi=kpi, user=org.member, text="ค่าเป้าหมายต่ำเกินไป")
    proposal = negotiation.proposal_add(
        kpi=kpi,
        user=org.member,
        method="quantitative",
        direction="higher",
        criteria={"thresholds": ["70", "75", "80", "85", "90"]},
    )
    with django_capture_on_commit_callbacks(execute=True):
        negotiation.agreement_request_revision(
            agreement=complete, user=org.member, comment="ปรับเกณฑ์ตามข้อเสนอ"
        )
    negotiation.proposal_decide(proposal=proposal, user=org.head_a, accept=True)
    assert KPI.objects.get(pk=kpi.pk).criteria["thresholds"] == ["70", "75", "80", "85", "90"]
    assert Proposal.objects.get(pk=proposal.pk).status == "accepted"
    with django_capture_on_commit_callbacks(execute=True):
        negotiation.agreement_submit(agreement=complete, user=org.head_a, comment="แก้ไขแล้ว")
        negotiation.agreement_approve(
            agreement=complete,
            user=org.member,
            number="5/2570",
            date=date(2026, 12, 20),
            text="เห็นชอบคำรับรอง",
        )
    agreement = Agreement.objects.get(pk=complete.pk)
    assert agreement.status == "approved" and agreement.approval_resolution.number == "5/2570"
    pledgor = agreement.parties.get(role="pledgor")
    recipient = agreement.parties.get(role="recipient")
    with django_capture_on_commit_callbacks(execute=True):
        negotiation.agreement_sign(agreement=agreement, party=pledgor, user=org.head_a)
        with pytest.raises(ValidationError):
            negotiation.agreement_sign(agreement=agreement, party=pledgor, user=org.head_a)
        with pytest.raises(ValidationError):
            negotiation.agreement_sign(agreement=agreement, party=recipient, user=org.head_a)
        negotiation.agreement_sign(agreement=agreement, party=recipient, user=org.director)
    agreement = Agreement.objects.get(pk=complete.pk)
    assert agreement.status == "signed"
    signed = Party.objects.get(pk=recipient.pk)
    assert signed.signed_name == org.director.display_name and signed.signed_at is not None
    assert [m[0] for m in moves(agreement)] == [
        "submit",
        "request_revision",
        "submit",
        "approve",
        "sign",
        "sign",
        "lock",
    ]
    assert agreement.documents.filter(kind="signed").exists()
    # Locked: no path changes the content.
    with pytest.raises(ValidationError):
        KPI.objects.filter(pk=kpi.pk).first().save()
    with pytest.raises(ValidationError):
        negotiation.kpi_comment_add(kpi=kpi, user=org.member, text="x")
    assert client_for(org.head_a).get(reverse("kpi_edit", args=[kpi.pk])).status_code == 404
    page = client_for(org.head_a).get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
    assert "ล็อก" in page or "locked" in page


def test_two_concurrent_approvals_make_exactly_one_move(transactional_db, org, dims):
    from kpi_agreements.organisation.models import Unit

    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a)
    agreement = drafting.agreements_create(
        fiscal_year=org.year, units=[Unit.objects.get(pk=org.bureau_a.pk)]
    )[0]
    for d in dims:
        add_kpi(agreement, d, d.weight, supervisor=org.head_a, collector=org.head_a)
    agreement = set_state(agreement, "submitted")
    barrier, outcomes = threading.Barrier(2), []

    def approve(number):
        barrier.wait()
        try:
            for _attempt in range(10):
                try:
                    negotiation.agreement_approve(
                        agreement=agreement,
                        user=org.member,
                        number=number,
                        date=date(2026, 12, 1),
                        text="เห็นชอบ",
                    )
                    outcomes.append("ok")
                    return
                except OperationalError:
                    # SQLite has no row locks: a writer finding the table locked tries again.
                    time.sleep(0.2)
            outcomes.append("gave up")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(n,)) for n in ("1/2570", "2/2570")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    assert moves(agreement) == [("approve", "submitted", "approved")]


def test_notices_reach_the_committee_once_per_step(complete, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = negotiation.agreement_submit(agreement=complete, user=org.head_a)
    notices = Notice.objects.filter(recipient=org.member)
    assert notices.count() == 1 and "คณะกรรมการ" in notices.get().text
    assert [m.to for m in mail.outbox] == [[org.member.email]]
    assert send_step_notices(row.pk) == 0  # the task running again sends nothing
    assert Notice.objects.count() == 1 and len(mail.outbox) == 1


def test_only_the_committee_sees_the_queue_entry(
    complete, org, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        negotiation.agreement_submit(agreement=complete, user=org.head_a)
    queue = client_for(org.member).get(reverse("committee_queue")).context["agreements"]
    assert list(queue) == [complete]
    assert list(client_for(org.head_a).get(reverse("committee_queue")).context["agreements"]) == []


@pytest.mark.parametrize("persona, status", [("head_b", 404), ("outsider", 404), ("executive", 404)])
def test_wrong_people_cannot_move_the_agreement_by_url(complete, org, client_for, persona, status):
    client = client_for(getattr(org, persona))
    assert client.post(reverse("agreement_submit", args=[complete.pk])).status_code == status
    assert (
        client.post(reverse("agreement_revision", args=[complete.pk]), {"comment": "x"}).status_code == status
    )
    assert client.post(reverse("agreement_approve", args=[complete.pk]), {}).status_code == status
    assert Agreement.objects.get(pk=complete.pk).status == "draft" and moves(complete) == []


def test_a_refused_move_in_the_browser_says_why(complete, org, client_for):
    set_state(complete, "approved")
    response = client_for(org.head_a).post(reverse("agreement_submit", args=[complete.pk]), follow=True)
    assert any("อนุมัติ" in str(m) or "approved" in str(m).lower() for m in response.context["messages"])
    assert Agreement.objects.get(pk=complete.pk).status == "approved"


def test_a_weight_proposal_accepted_changes_the_weight(complete, org):
    set_state(complete, "submitted")
    kpi = complete.kpis.order_by("pk").first()
    proposal = negotiation.proposal_add(kpi=kpi, user=org.member, weight=Decimal("40"))
    negotiation.proposal_decide(proposal=proposal, user=org.head_a, accept=True)
    assert KPI.objects.get(pk=kpi.pk).weight == Decimal("40.0000")
    with pytest.raises(ValidationError):
        negotiation.proposal_decide(proposal=proposal, user=org.head_a, accept=False)


def test_a_refused_move_is_logged(complete, org, caplog):
    with caplog.at_level("WARNING", logger="kpi_agreements.workflow"), pytest.raises(ValidationError):
        negotiation.agreement_approve(
            agreement=complete, user=org.outsider, number="1", date=date(2026, 12, 1), text="x"
        )
    assert f"refused approve on agreements.Agreement #{complete.pk}" in caplog.text


def _queries(client, url):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queue_and_notices_keep_their_query_count_as_they_grow(complete, org, client_for, dims):
    from kpi_agreements.workflow.models import Notice

    client = client_for(org.member)
    set_state(complete, "submitted")
    Notice.objects.create(recipient=org.member, key="a", text="x", url="/")
    small = (_queries(client, reverse("committee_queue")), _queries(client, reverse("notices")))
    other = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_b])[0]
    set_state(other, "submitted")
    for i in range(8):
        Notice.objects.create(recipient=org.member, key=f"k{i}", text="x", url="/")
    assert (_queries(client, reverse("committee_queue")), _queries(client, reverse("notices"))) == small
    assert len(client.get(reverse("committee_queue")).context["agreements"]) == 2


def test_the_timeline_speaks_in_words_not_codes(
    complete, org, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        negotiation.agreement_submit(agreement=complete, user=org.head_a, comment="ขอเสนอ")
    page = client_for(org.head_a).get(reverse("agreement_detail", args=[complete.pk])).content.decode()
    timeline = page[page.index('data-testid="timeline"') :]
    assert "เสนอคณะกรรมการ: ร่าง → " in timeline and "submit:" not in timeline and "draft" not in timeline

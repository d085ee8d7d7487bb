"""Change requests (DOMAIN §9, issue 5 item 5): windows, weights, decision by resolution, versions."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from kpi_agreements.agreements.models import (
    KPI,
    Agreement,
    AgreementVersion,
    ChangeItem,
    ChangeRequest,
    Evidence,
)
from kpi_agreements.agreements.services import changes
from kpi_agreements.fiscal.models import Milestone
from tests.factories import add_kpi

IN_WINDOW = date(2027, 3, 15)  # FY 2570's first window: 31 Jan – 31 Mar 2027


@pytest.fixture
def signed(agreement, dims, org):
    for d in dims:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.head_a, collector=org.head_a)
    Agreement.objects.filter(pk=agreement.pk).update(status="signed")
    return Agreement.objects.get(pk=agreement.pk)


@pytest.fixture
def split(agreement, dims, org):
    """Signed, with dimension 1 as two KPIs (30 + 15): one can be cancelled and the dimension keep its 45."""
    add_kpi(agreement, dims[0], "30", "ตัวชี้วัดมิติ 1 ก", supervisor=org.head_a, collector=org.head_a)
    add_kpi(agreement, dims[0], "15", "ตัวชี้วัดมิติ 1 ข", supervisor=org.head_a, collector=org.head_a)
    for d in dims[1:]:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.head_a, collector=org.head_a)
    Agreement.objects.filter(pk=agreement.pk).update(status="signed")
    return Agreement.objects.get(pk=agreement.pk)


def open_today(year):
    """Move the first window so that it is open today, for the pages that use the real date."""
    today = timezone.localdate()
    Milestone.objects.filter(fiscal_year=year, kind="change_window_1").update(
        start_date=today - timedelta(days=1), due_date=today + timedelta(days=5)
    )


def new_request(agreement, org, **extra):
    fields = dict(
        grounds="external", grounds_other="", justification="น้ำท่วมใหญ่", effective_round=12, today=IN_WINDOW
    )
    fields.update(extra)
    return changes.change_open(agreement=agreement, user=org.head_a, **fields)


def test_a_request_outside_the_windows_is_refused_with_their_dates(signed, org):
    with pytest.raises(ValidationError) as exc:
        new_request(signed, org, today=date(2027, 5, 10))
    assert "31 มี.ค. 2570" in exc.value.messages[0] or "31 Mar 2570" in exc.value.messages[0]
    assert not ChangeRequest.objects.exists()


def close_windows(year):
    """Put both windows in the past, whatever the date the tests run on."""
    today = timezone.localdate()
    Milestone.objects.filter(fiscal_year=year, kind__startswith="change_window").update(
        start_date=today - timedelta(days=40), due_date=today - timedelta(days=30)
    )


def test_the_button_is_absent_outside_the_window_and_a_direct_request_is_refused(signed, org, client_for):
    close_windows(org.year)
    client = client_for(org.head_a)
    page = client.get(reverse("agreement_detail", args=[signed.pk]))
    assert 'data-testid="open-change"' not in page.content.decode()
    response = client.post(
        reverse("change_create", args=[signed.pk]),
        {"grounds": "policy", "justification": "x", "effective_round": 12},
    )
    assert response.status_code == 400 and not ChangeRequest.objects.exists()
    open_today(org.year)
    assert (
        'data-testid="open-change"'
        in client.get(reverse("agreement_detail", args=[signed.pk])).content.decode()
    )


def test_only_a_signed_agreement_takes_change_requests(agreement, org):
    with pytest.raises(ValidationError):
        new_request(agreement, org)


def test_an_approved_change_cancels_a_kpi_and_redistributes_its_weight(split, org, dims):
    signed = split
    kpis = list(signed.kpis.order_by("pk"))
    change = new_request(signed, org)
    changes.change_item_add(change=change, kind="cancel", kpi=kpis[1])  # 15, in dimension 1
    changes.change_item_add(
        change=change,
        kind="edit",
        kpi=kpis[0],
        name="ชื่อใหม่",
        method="quantitative",
        criteria={"thresholds": ["1", "2", "3", "4", "5"]},
    )
    changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    changes.change_decide(
        change=change, user=org.member, approve=True, number="9/2570", date=date(2027, 3, 20), text="อนุมัติ"
    )
    agreement = Agreement.objects.get(pk=signed.pk)
    assert agreement.version == 2 and agreement.status == "signed"
    assert KPI.objects.get(pk=kpis[1].pk).cancelled_from_round == 12
    active = {k.pk: k.weight for k in agreement.kpis.filter(cancelled_from_round__isnull=True)}
    # §4 (issue 13.1): the 15 stays in its dimension, with the other KPI of dimension 1; no dimension moves.
    assert active == {
        kpis[0].pk: Decimal("45.0000"),
        kpis[2].pk: Decimal("15.0000"),
        kpis[3].pk: Decimal("20.0000"),
        kpis[4].pk: Decimal("20.0000"),
    }
    assert sum(active.values()) == Decimal("100.0000")
    assert KPI.objects.get(pk=kpis[0].pk).name == "ชื่อใหม่"
    before, after = AgreementVersion.objects.filter(agreement=agreement).order_by("number")
    assert (before.number, after.number, after.effective_round) == (1, 2, 12)
    assert [k["name"] for k in before.snapshot["kpis"]][0] == "ตัวชี้วัดมิติ 1 ก"
    assert len(after.snapshot["kpis"]) == 4
    assert agreement.documents.filter(kind="signed", version=2).exists()
    change.refresh_from_db()
    assert (change.status, change.version_before, change.version_after) == ("approved", 1, 2)


def test_a_rejected_change_changes_nothing_and_keeps_the_decision(split, org):
    signed = split
    kpis = list(signed.kpis.order_by("pk"))
    change = new_request(signed, org)
    changes.change_item_add(change=change, kind="cancel", kpi=kpis[1])
    changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    changes.change_decide(
        change=change, user=org.member, approve=False, number="10/2570", date=date(2027, 3, 20), text="ไม่อนุมัติ"
    )
    agreement = Agreement.objects.get(pk=signed.pk)
    assert agreement.version == 1 and KPI.objects.get(pk=kpis[1].pk).cancelled_from_round is None
    change.refresh_from_db()
    assert change.status == "rejected" and change.resolution.text == "ไม่อนุมัติ"


def test_unbalanced_weights_block_submission(signed, org):
    change = new_request(signed, org)
    changes.change_item_add(
        change=change, kind="edit", kpi=signed.kpis.order_by("pk").first(), weight=Decimal("50")
    )
    with pytest.raises(ValidationError) as exc:
        changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    assert "105" in exc.value.messages[0]
    assert ChangeRequest.objects.get(pk=change.pk).status == "draft"


def test_an_added_kpi_must_fit_the_weights(signed, org, dims):
    change = new_request(signed, org)
    first = signed.kpis.order_by("pk").first()
    changes.change_item_add(change=change, kind="edit", kpi=first, weight=Decimal("35"))
    changes.change_item_add(
        change=change,
        kind="add",
        dimension=dims[0],
        name="ตัวชี้วัดใหม่",
        weight=Decimal("10"),
        method="pass_fail",
        criteria={"condition": "สำเร็จ"},
    )
    changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    changes.change_decide(
        change=change, user=org.member, approve=True, number="11/2570", date=date(2027, 3, 20), text="อนุมัติ"
    )
    added = KPI.objects.get(name="ตัวชี้วัดใหม่")
    assert added.weight == Decimal("10.0000") and KPI.objects.get(pk=first.pk).weight == Decimal("35.0000")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


@pytest.mark.parametrize(
    "name, content, ok",
    [
        ("minutes.pdf", b"%PDF-1.4 test\n%%EOF\n", True),
        ("photo.png", PNG, True),
        ("broken.png", b"\x89PNG\r\n\x1a\nxxxx", False),
        ("script.exe", b"MZ\x90\x00", False),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", False),
    ],
)
def test_evidence_is_checked_by_type(signed, org, name, content, ok, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    change = new_request(signed, org)
    upload = SimpleUploadedFile(name, content)
    if ok:
        changes.evidence_add(change=change, upload=upload, user=org.head_a)
        assert Evidence.objects.filter(change_request=change).count() == 1
    else:
        with pytest.raises(ValidationError):
            changes.evidence_add(change=change, upload=upload, user=org.head_a)
        assert not Evidence.objects.exists()


def test_oversized_evidence_is_refused(signed, org, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    change = new_request(signed, org)
    with pytest.raises(ValidationError):
        changes.evidence_add(
            change=change, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 more than ten"), user=org.head_a
        )


STATES = ["draft", "submitted", "approved", "rejected"]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ["submit", "approve", "reject"])
@pytest.mark.parametrize("persona", ["head_a", "planner", "member", "executive", "outsider"])
def test_every_change_request_state_move_and_persona(signed, org, state, action, persona):
    change = new_request(signed, org)
    changes.change_item_add(change=change, kind="edit", kpi=signed.kpis.order_by("pk").first(), name="ใหม่")
    ChangeRequest.objects.filter(pk=change.pk).update(status=state)
    change = ChangeRequest.objects.get(pk=change.pk)
    user = getattr(org, persona)
    ok = (action == "submit" and state == "draft" and persona in ("head_a", "planner")) or (
        action in ("approve", "reject") and state == "submitted" and persona == "member"
    )

    def go():
        if action == "submit":
            return changes.change_submit(change=change, user=user, today=IN_WINDOW)
        return changes.change_decide(
            change=change,
            user=user,
            approve=action == "approve",
            number="1/70",
            date=date(2027, 3, 1),
            text="x",
        )

    if ok:
        go()
        target = {"submit": "submitted", "approve": "approved", "reject": "rejected"}[action]
        assert ChangeRequest.objects.get(pk=change.pk).status == target
    else:
        with pytest.raises(ValidationError):
            go()
        assert ChangeRequest.objects.get(pk=change.pk).status == state


def test_the_versions_page_shows_before_and_after(split, org, client_for):
    signed = split
    kpis = list(signed.kpis.order_by("pk"))
    change = new_request(signed, org)
    changes.change_item_add(change=change, kind="cancel", kpi=kpis[1])
    changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    changes.change_decide(
        change=change, user=org.member, approve=True, number="12/2570", date=date(2027, 3, 20), text="อนุมัติ"
    )
    rows = client_for(org.executive).get(reverse("agreement_version", args=[signed.pk, 2])).context["rows"]
    cancelled = [r for r in rows if r["after"] is None]
    assert [r["before"]["name"] for r in cancelled] == ["ตัวชี้วัดมิติ 1 ข"]
    assert client_for(org.outsider).get(reverse("agreement_versions", args=[signed.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["head_b", "outsider"])
def test_outsiders_cannot_see_or_touch_a_change_request(signed, org, client_for, persona):
    change = new_request(signed, org)
    client = client_for(getattr(org, persona))
    assert client.get(reverse("change_detail", args=[change.pk])).status_code == 404
    assert client.post(reverse("change_submit", args=[change.pk])).status_code == 404
    assert client.post(reverse("change_item_add", args=[change.pk]), {"kind": "cancel"}).status_code == 404
    assert ChangeItem.objects.count() == 0

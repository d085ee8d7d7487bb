"""The agreement's pages as a planning officer met them (issue 13 items 6, 7, 9, 10, 12): the change windows,
a readable KPI history, the revision round at a glance and its notices, Thai labels, moving a KPI under
another."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kpi_agreements import scoring
from kpi_agreements.agreements.models import KPI, Agreement, Dimension, MandatoryKPI
from kpi_agreements.agreements.services import kpis, negotiation
from kpi_agreements.fiscal.models import Milestone
from kpi_agreements.organisation.models import UnitType
from kpi_agreements.workflow.models import Notice, Transition
from kpi_agreements.workflow.notify import send_step_notices
from tests.conftest import make_person
from tests.factories import add_kpi, fill, sign
from tests.test_agreement_editor import CRITERIA_POST, kpi_post


def page(client, name, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def windows(year, first: tuple[int, int], second: tuple[int, int]):
    """Put the year's two windows at days from today (start, end) whatever the date the tests run on."""
    today = timezone.localdate()
    for kind, (start, end) in (("change_window_1", first), ("change_window_2", second)):
        Milestone.objects.filter(fiscal_year=year, kind=kind).update(
            start_date=today + timedelta(days=start), due_date=today + timedelta(days=end)
        )


def closes(year, days: int) -> date:
    """A window's last day ``days`` from today, moved to a working day as every deadline is (§3)."""
    return scoring.effective_deadline(timezone.localdate() + timedelta(days=days), year.holiday_dates)


def thai(text: str, **values) -> str:
    """A message as the page (in Thai) says it, whether or not the catalogue holds it yet."""
    with translation.override("th"):
        return translation.gettext(text) % values


@pytest.fixture
def signed(agreement, dims, org):
    return sign(fill(agreement, dims, org.head_a))


# --- 6. the change windows -------------------------------------------------------------------------------


def test_outside_the_windows_the_change_form_answers_with_the_windows_dates(signed, org, client_for):
    windows(org.year, (-60, -40), (-20, -10))
    with translation.override("th"):
        response = client_for(org.head_a).get(reverse("change_create", args=[signed.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="window-closed"' in body
    assert "<button" not in body.split('data-testid="window-closed"')[1].split("</form>")[0]


def test_the_agreement_page_says_when_the_next_window_opens(signed, org, client_for):
    windows(org.year, (-60, -40), (30, 50))
    body = page(client_for(org.head_a), "agreement_detail", signed.pk)
    box = body.split('data-testid="change-windows"')[1].split("</div>")[0]
    note = thai("The next window for change requests opens on %(start)s.", start=be(date_in(30)))
    assert note in box.split('data-testid="window-note"')[1]
    assert box.count("<li>") == 2 and 'data-testid="open-change"' not in body


def test_the_agreement_page_says_an_open_window_closes_on_its_working_day(signed, org, client_for):
    windows(org.year, (-5, 10), (60, 90))
    body = page(client_for(org.head_a), "agreement_detail", signed.pk)
    note = body.split('data-testid="window-note"')[1].split("</p>")[0]
    assert thai("A change request can be opened now, until %(end)s.", end=be(closes(org.year, 10))) in note
    assert 'data-testid="open-change"' in body


def test_after_the_last_window_the_page_says_none_is_left(signed, org, client_for):
    windows(org.year, (-60, -40), (-20, -10))
    body = page(client_for(org.head_a), "agreement_detail", signed.pk)
    note = body.split('data-testid="window-note"')[1].split("</p>")[0]
    assert thai("No window for change requests is left this year.") in note


def date_in(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def be(day: date) -> str:
    from kpi_agreements.core.thai import be_date

    with translation.override("th"):
        return be_date(day)


# --- 7. the KPI history ----------------------------------------------------------------------------------


def test_the_history_shows_criteria_as_levels_baselines_as_years_and_people_by_name(
    agreement, dims, org, client_for
):
    kpi = add_kpi(agreement, dims[0], "10", "ร้อยละการเบิกจ่าย")
    kpis.kpi_update(
        kpi=kpi,
        criteria={"thresholds": ["61", "72", "83", "94", "105"]},
        baseline=[{"year": 2568, "value": "85.5"}, {"year": 2569, "value": ""}],
        supervisor=org.supervisor,
        evidence_required=True,
        direction="lower",
    )
    body = page(client_for(org.head_a), "kpi_detail", kpi.pk)
    history = body.split('data-testid="history"')[1]
    assert "{&#x27;" not in history and "[{" not in history and "&#x27;year&#x27;" not in history
    assert "<td>61</td>" in history and "<td>105</td>" in history and "<td>60</td>" in history
    assert "2568: 85.5 · 2569: —" in history
    assert (
        org.supervisor.display_name in history
        and f'→ <ins class="text-success">{org.supervisor.pk}<' not in (history)
    )


def test_the_history_names_people_in_one_query_whatever_their_number(agreement, dims, org, client_for):
    kpi = add_kpi(agreement, dims[0], "10", "ร้อยละการเบิกจ่าย")
    client = client_for(org.head_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            client.get(reverse("kpi_detail", args=[kpi.pk]))
        return len(seen)

    kpis.kpi_update(kpi=kpi, supervisor=org.supervisor)
    few = queries()
    for n in range(4):
        kpis.kpi_update(kpi=kpi, supervisor=make_person(f"sup{n}"), collector=make_person(f"col{n}"))
    assert queries() == few


# --- 9. the revision round -------------------------------------------------------------------------------


@pytest.fixture
def negotiating(agreement, dims, org):
    fill(agreement, dims, org.head_a)
    negotiation.agreement_submit(agreement=agreement, user=org.head_a)
    return Agreement.objects.get(pk=agreement.pk)


def test_the_agreement_page_marks_kpis_with_comments_and_pending_proposals(negotiating, org, client_for):
    first, second, third = negotiating.kpis.order_by("dimension__order")[:3]
    negotiation.kpi_comment_add(kpi=first, user=org.member, text="ควรปรับเกณฑ์")
    negotiation.kpi_comment_add(kpi=first, user=org.member, text="และนิยาม")
    negotiation.proposal_add(kpi=second, user=org.member, weight=Decimal("10"))
    decided = negotiation.proposal_add(kpi=third, user=org.member, weight=Decimal("20"))
    negotiation.proposal_decide(proposal=decided, user=org.head_a, accept=False)
    body = page(client_for(org.head_a), "agreement_detail", negotiating.pk)
    assert 'data-testid="comments-1"' in body and "2" in body.split('data-testid="comments-1"')[1][:80]
    assert 'data-testid="pending-2"' in body
    assert 'data-testid="pending-3"' not in body and 'data-testid="comments-2"' not in body


def test_each_comment_tells_the_units_editors_once(negotiating, org, django_capture_on_commit_callbacks):
    kpi = negotiating.kpis.first()
    with django_capture_on_commit_callbacks(execute=True):
        negotiation.kpi_comment_add(kpi=kpi, user=org.member, text="ควรปรับเกณฑ์")
        negotiation.kpi_comment_add(kpi=kpi, user=org.member, text="อีกข้อหนึ่ง")
    told = Notice.objects.filter(recipient=org.head_a, url=reverse("kpi_detail", args=[kpi.pk]))
    assert told.count() == 2 and all(kpi.name in n.text for n in told)
    assert not Notice.objects.filter(recipient=org.member).exists()
    row = Transition.objects.filter(action="comment").first()
    assert send_step_notices(row.pk) == 0  # run again: nobody is told twice
    assert told.count() == 2


@pytest.mark.parametrize("accept", [True, False])
def test_answering_a_proposal_says_so_and_tells_its_author(
    negotiating, org, client_for, django_capture_on_commit_callbacks, accept
):
    kpi = negotiating.kpis.first()
    with django_capture_on_commit_callbacks(execute=True):
        proposal = negotiation.proposal_add(kpi=kpi, user=org.member, weight=Decimal("40"))
    assert Notice.objects.filter(recipient=org.head_a, url=reverse("kpi_detail", args=[kpi.pk])).count() == 1
    client = client_for(org.head_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("proposal_decide", args=[proposal.pk]), {"accept": "1" if accept else "0"}, follow=True
        )
    body = response.content.decode()
    assert "alert-success" in body and org.member.display_name in body.split("alert-success")[1][:400]
    author = Notice.objects.filter(recipient=org.member)
    assert author.count() == 1 and kpi.name in author.get().text
    assert KPI.objects.get(pk=kpi.pk).weight == (Decimal("40") if accept else kpi.weight)


# --- 10. Thai labels, names in the reader's language, the readiness box ----------------------------------

THAI = re.compile("[\u0e00-\u0e7f]")


def labels(body: str) -> list[str]:
    found = re.findall(r"<label[^>]*>(.*?)</label>", body, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", t).strip() for t in found]


def test_the_person_form_explains_the_username_in_the_catalogue(org, client_for):
    from kpi_agreements.organisation.forms import PersonForm

    help_text = str(PersonForm().fields["username"].help_text)
    assert "Required. 150 characters" not in help_text
    form = PersonForm(
        data={"username": "a b!", "first_name": "ก", "last_name": "ข", "email": "x@example.go.th"}
    )
    assert not form.is_valid()
    assert "letters, numbers, and @/./+/-/_ characters" not in " ".join(form.errors["username"])


def test_dimension_and_unit_type_names_follow_the_language(signed, dims, org, client_for):
    Dimension.objects.filter(pk=dims[0].pk).update(name_en="Effectiveness")
    UnitType.objects.filter(code="bureau").update(name_en="Bureau")
    client = client_for(org.planner)
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        english = page(client, "agreement_detail", signed.pk)
        year = page(client, "year_agreements", org.year.pk)
    assert "Effectiveness" in english and "Bureau" in year
    client.cookies["django_language"] = "th"
    thai = page(client, "agreement_detail", signed.pk)
    assert "Effectiveness" not in thai and dims[0].name_th in thai
    assert dims[1].name_th in english  # no English name: the Thai one stays


def test_the_readiness_box_puts_a_missing_pledgor_first(agreement, dims, org, client_for):
    add_kpi(agreement, dims[0], "10", "ตัวชี้วัดเดียว")  # weights far from 100: a long list of problems
    agreement.parties.filter(role="pledgor").update(person=None)
    response = client_for(org.head_a).get(reverse("agreement_detail", args=[agreement.pk]))
    problems = response.context["problems"]
    with translation.override("th"):
        from kpi_agreements.agreements.selectors import party_problems

        expected = party_problems(list(agreement.parties.all()))
    assert expected and problems[: len(expected)] == expected and len(problems) > len(expected)


# --- 12. moving a KPI under a parent, the calculator's level labels ---------------------------------------


def test_an_existing_kpi_moves_under_a_parent_through_the_kpi_form(agreement, dims, org, client_for):
    parent = add_kpi(agreement, dims[0], "20", "ตัวชี้วัดหลัก")
    other = add_kpi(agreement, dims[1], "5", "ย้ายมาเป็นตัวชี้วัดย่อย")
    data = kpi_post(dims[1], name=other.name, weight="5", parent=parent.pk, **CRITERIA_POST["quantitative"])
    response = client_for(org.head_a).post(reverse("kpi_edit", args=[other.pk]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    moved, parent = KPI.objects.get(pk=other.pk), KPI.objects.get(pk=parent.pk)
    assert moved.parent_id == parent.pk and moved.dimension_id == dims[0].pk  # the parent's dimension
    assert parent.weight == Decimal("5.0000")  # a parent's weight is its sub-KPIs' sum
    assert moved.history.first().history_change_reason == "moved under a parent"


def test_the_parent_choice_leaves_out_the_kpi_and_its_own_sub_kpis(agreement, dims, org, client_for):
    top = add_kpi(agreement, dims[0], "1", "บน")
    child = add_kpi(agreement, dims[0], "5", "ล่าง", parent=top)
    other = add_kpi(agreement, dims[0], "5", "อื่น")
    form = client_for(org.head_a).get(reverse("kpi_edit", args=[top.pk])).context["form"]
    offered = {value for value, _label in form.fields["parent"].choices}
    assert str(other.pk) in offered and str(top.pk) not in offered and str(child.pk) not in offered


def test_moving_refuses_cycles_other_agreements_and_mandatory_kpis(agreement, dims, org):
    from kpi_agreements.agreements.services import drafting

    top = add_kpi(agreement, dims[0], "1", "บน")
    child = add_kpi(agreement, dims[0], "5", "ล่าง", parent=top)
    with pytest.raises(ValidationError):
        kpis.kpi_set_parent(kpi=top, parent=child)
    with pytest.raises(ValidationError):
        kpis.kpi_set_parent(kpi=top, parent=top)
    elsewhere = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_b])[0]
    stranger = add_kpi(elsewhere, dims[0], "5", "ของสำนักบี")
    with pytest.raises(ValidationError):
        kpis.kpi_set_parent(kpi=child, parent=stranger)
    required = MandatoryKPI.objects.create(fiscal_year=org.year, dimension=dims[0], code="9", name="บังคับ")
    KPI.objects.filter(pk=child.pk).update(mandatory=required)
    with pytest.raises(ValidationError):
        kpis.kpi_set_parent(kpi=child, parent=None)  # the framework sets where it stands
    assert KPI.objects.get(pk=child.pk).parent_id == top.pk
    KPI.objects.filter(pk=child.pk).update(mandatory=None)
    moved = kpis.kpi_set_parent(kpi=child, parent=None)
    assert moved.parent_id is None and KPI.objects.get(pk=child.pk).parent_id is None


def test_a_signed_agreements_kpis_do_not_move(signed, org):
    first, second = signed.kpis.all()[:2]
    with pytest.raises(ValidationError):
        kpis.kpi_set_parent(kpi=second, parent=first)


def test_the_milestone_calculators_step_boxes_name_their_level(client_for, org):
    body = client_for(org.head_a).get(reverse("calculator")).content.decode()
    steps = body.split('data-testid="steps-done"')[1].split("</fieldset>")[0]
    names = labels(steps)
    assert len(names) == 5 and len(set(names)) == 5
    assert all(str(k) in name for k, name in enumerate(names, start=1))


def test_deleting_a_mandatory_kpi_asks_in_its_own_words(agreement, dims, org, client_for):
    required = MandatoryKPI.objects.create(fiscal_year=org.year, dimension=dims[0], code="1.2", name="บังคับ")
    kpi = add_kpi(agreement, dims[0], "5", "บังคับ", mandatory=required)
    own = add_kpi(agreement, dims[0], "5", "ของหน่วยงานเอง")
    client = client_for(org.head_a)
    asked = (
        page(client, "kpi_detail", kpi.pk).split('data-testid="kpi-delete"')[0].rsplit("data-confirm=", 1)[1]
    )
    assert "1.2" in asked and asked.strip('" ') == thai(MANDATORY_DELETE, code="1.2")
    plain = (
        page(client, "kpi_detail", own.pk).split('data-testid="kpi-delete"')[0].rsplit("data-confirm=", 1)[1]
    )
    assert plain.strip('" ') == thai("Delete this KPI and its sub-KPIs?")


MANDATORY_DELETE = (
    "This is mandatory KPI %(code)s of the year's framework: every agreement of this unit type is expected "
    "to carry it, and its weight is not moved to other KPIs. Delete it and its sub-KPIs anyway?"
)

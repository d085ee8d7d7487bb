"""Issue 8 defect 10: every date field takes วว/ดด/ปปปป in B.E. and refuses dates implausible for it."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from kpi_agreements.agreements.models import Agreement, ChangeRequest
from kpi_agreements.agreements.services import changes
from kpi_agreements.core.dates import ThaiDateField, parse_thai_date
from kpi_agreements.fiscal.models import CalendarDay, Milestone
from kpi_agreements.organisation.models import Resolution
from tests.conftest import PASSWORD
from tests.factories import add_kpi
from tests.test_browser_foundation import log_in

MESSAGES = ThaiDateField.default_error_messages


def resolution_field():
    field = ThaiDateField()
    field.set_range(date(2025, 10, 1), date(2028, 9, 30))  # FY 2570 ± 1 year
    return field


@pytest.mark.parametrize(
    "typed", ["02/12/2569", "2/12/2026", "2/12/2569", "02-12-2569", " 2.12.2569 ", "๐๒/๑๒/๒๕๖๙", "2026-12-02"]
)
def test_b_e_and_plainly_c_e_years_both_mean_2_december_2026(typed):
    assert parse_thai_date(typed) == date(2026, 12, 2)


def test_a_b_e_year_typed_twice_over_is_refused_by_the_range_not_stored_as_3112():
    field = resolution_field()
    # 3112 is read as B.E. (2569 C.E.), centuries outside the fiscal year.
    with pytest.raises(Exception) as exc:
        field.clean("02/12/3112")
    assert exc.value.code == "out_of_range"
    assert exc.value.messages == [
        gettext(MESSAGES["out_of_range"]) % {"first": "1 ต.ค. 2568", "last": "30 ก.ย. 2571"}
    ]


@pytest.mark.parametrize(
    "typed, code",
    [
        ("พรุ่งนี้", "invalid"),
        ("2/12/69", "invalid"),
        ("12/2569", "invalid"),
        ("02/12/2569 10:00", "invalid"),
        ("31/02/2569", "no_such_day"),
        ("01/13/2569", "no_such_day"),
    ],
)
def test_garbage_and_days_that_do_not_exist_are_refused_with_their_message(typed, code):
    with pytest.raises(Exception) as exc:
        resolution_field().clean(typed)
    assert exc.value.code == code and exc.value.messages == [gettext(MESSAGES[code])]


def test_the_input_shows_the_b_e_year_with_a_thai_placeholder_and_the_range_for_the_picker():
    html = resolution_field().widget.render("date", date(2026, 12, 2))
    assert 'type="text"' in html and 'value="02/12/2569"' in html and 'inputmode="numeric"' in html
    assert 'data-min="2025-10-01"' in html and 'data-max="2028-09-30"' in html
    assert f'placeholder="{gettext("dd/mm/yyyy (B.E.)")}"' in html
    assert "มกราคม" in html and "อา." in html  # month and weekday names of the picker
    assert 'type="date"' not in html


def test_a_refused_value_is_shown_back_as_typed():
    assert 'value="02/12/3112"' in resolution_field().widget.render("date", "02/12/3112")


# --- every converted form refuses an out-of-range date at its field and changes nothing ---


def test_committee_resolution_in_b_e_is_stored_as_its_c_e_date(org, client_for):
    response = client_for(org.planner).post(
        reverse("committee_resolution_add", args=[org.committee.pk]),
        {"number": "5/2570", "date": "02/12/2569", "text": "เห็นชอบ"},
    )
    assert response.status_code == 302
    assert Resolution.objects.get(number="5/2570").date == date(2026, 12, 2)


def test_committee_resolution_outside_the_year_is_refused_at_the_field(org, client_for):
    response = client_for(org.planner).post(
        reverse("committee_resolution_add", args=[org.committee.pk]),
        {"number": "6/2570", "date": "02/12/3112", "text": "เห็นชอบ"},
    )
    assert response.status_code == 400
    message = gettext(MESSAGES["out_of_range"]) % {"first": "1 ต.ค. 2568", "last": "30 ก.ย. 2571"}
    assert response.context["resolution_form"].errors["date"] == [message]
    assert 'value="02/12/3112"' in response.content.decode()
    assert not Resolution.objects.exists()


@pytest.fixture
def submitted(agreement, dims, org):
    for d in dims:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.head_a, collector=org.head_a)
    Agreement.objects.filter(pk=agreement.pk).update(status="submitted")
    return Agreement.objects.get(pk=agreement.pk)


def test_approval_resolution_outside_the_year_is_refused_and_a_b_e_date_approves(submitted, org, client_for):
    client = client_for(org.member)
    url = reverse("agreement_approve", args=[submitted.pk])
    response = client.post(url, {"number": "7/2570", "date": "15/12/2572", "text": "เห็นชอบ"})
    assert response.status_code == 200 and response.context["form"].errors["date"]
    assert Agreement.objects.get(pk=submitted.pk).status == "submitted" and not Resolution.objects.exists()

    assert client.post(url, {"number": "7/2570", "date": "15/12/2569", "text": "เห็นชอบ"}).status_code == 302
    agreement = Agreement.objects.get(pk=submitted.pk)
    assert agreement.status == "approved" and agreement.approval_resolution.date == date(2026, 12, 15)


def test_change_decision_outside_the_year_is_refused_at_the_field(submitted, org, client_for):
    Agreement.objects.filter(pk=submitted.pk).update(status="signed")
    in_window = date(2027, 3, 15)
    change = changes.change_open(
        agreement=submitted,
        user=org.head_a,
        grounds="external",
        grounds_other="",
        justification="น้ำท่วม",
        effective_round=12,
        today=in_window,
    )
    # A renamed KPI: cancelling a dimension's only KPI would break the framework (issue 13).
    changes.change_item_add(change=change, kind="edit", kpi=submitted.kpis.order_by("pk")[1], name="ชื่อใหม่")
    changes.change_submit(change=change, user=org.head_a, today=in_window)
    response = client_for(org.member).post(
        reverse("change_decide", args=[change.pk]),
        {"decision": "approve", "number": "8/2570", "date": "20/03/2470", "text": "อนุมัติ"},
    )
    assert response.status_code == 400 and response.context["decision_form"].errors["date"]
    assert ChangeRequest.objects.get(pk=change.pk).status == "submitted" and not Resolution.objects.exists()


def test_calendar_day_outside_the_years_calendar_is_refused_at_the_field(org, client_for):
    client = client_for(org.admin)
    url = reverse("calendar_day_add", args=[org.year.pk])
    # FY 2570's calendar runs 1 Oct 2569 – 31 Jan 2571 B.E.
    response = client.post(url, {"date": "30/09/2569", "kind": "holiday", "name": "x"})
    assert response.status_code == 400 and response.context["day_form"].errors["date"]
    assert not CalendarDay.objects.exists()
    assert client.post(url, {"date": "31/01/2571", "kind": "holiday", "name": "x"}).status_code == 302
    assert CalendarDay.objects.get().date == date(2028, 1, 31)


def test_milestone_outside_the_years_calendar_is_refused_at_the_field(org, client_for):
    client = client_for(org.admin)
    milestones = list(org.year.milestones.all())
    data = {"form-TOTAL_FORMS": len(milestones), "form-INITIAL_FORMS": len(milestones)}
    for i, m in enumerate(milestones):
        data[f"form-{i}-id"] = m.pk
        data[f"form-{i}-start_date"] = ""
        data[f"form-{i}-due_date"] = f"{m.due_date:%d/%m}/{m.due_date.year + 543}"
    i9 = next(i for i, m in enumerate(milestones) if m.kind == "report_9")
    data[f"form-{i9}-due_date"] = "20/07/3113"
    response = client.post(reverse("milestones_edit", args=[org.year.pk]), data)
    assert response.status_code == 200 and response.context["formset"].forms[i9].errors["due_date"]
    assert Milestone.objects.get(fiscal_year=org.year, kind="report_9").due_date == date(2027, 7, 16)

    data[f"form-{i9}-due_date"] = "20/07/2570"
    assert client.post(reverse("milestones_edit", args=[org.year.pk]), data).status_code == 302
    assert Milestone.objects.get(fiscal_year=org.year, kind="report_9").due_date == date(2027, 7, 20)
    page = client.get(reverse("milestones_edit", args=[org.year.pk])).content.decode()
    assert 'value="20/07/2570"' in page


# --- the picker, in real Chromium ---


@pytest.mark.browser
def test_an_administrator_picks_a_day_off_from_the_b_e_calendar(org, page):
    errors = []  # the picker runs under the Content Security Policy without a report or a script error
    page.on("console", lambda m: "Content Security Policy" in m.text and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, "admin", PASSWORD)
    page.goto(reverse("year_detail", args=[org.year.pk]))
    date_input = page.locator("input[name=date]")
    assert date_input.get_attribute("placeholder") == gettext("dd/mm/yyyy (B.E.)")
    page.click("input[name=date] + .thai-date-toggle")
    picker = page.locator(".thai-date-picker")
    # It opens on today's month, kept inside the year's calendar; walk to April 2570 B.E. (2027).
    for _ in range(24):
        shown = picker.get_attribute("data-month")
        if shown == "2027-04":
            break
        picker.locator(f"[data-step='{1 if shown < '2027-04' else -1}']").click()
    assert "เมษายน" in picker.inner_text() and "2570" in picker.inner_text()
    picker.locator("[data-date='2027-04-30']").click()
    assert date_input.input_value() == "30/04/2570" and picker.count() == 0

    page.select_option("select[name=kind]", "holiday")
    page.fill("input[name=name]", "วันหยุดพิเศษ")
    page.click("form[action$='/days/'] button.btn-primary")
    page.wait_for_selector("text=วันหยุดพิเศษ")
    assert CalendarDay.objects.get().date == date(2027, 4, 30)
    assert errors == []


@pytest.mark.browser
def test_days_outside_the_range_cannot_be_picked_and_escape_closes(org, page):
    log_in(page, "admin", PASSWORD)
    page.goto(reverse("year_detail", args=[org.year.pk]))
    page.fill("input[name=date]", "02/10/2569")
    page.click("input[name=date] + .thai-date-toggle")
    picker = page.locator(".thai-date-picker")
    assert picker.get_attribute("data-month") == "2026-10"
    assert picker.locator("[data-step='-1']").is_disabled()
    page.keyboard.press("ArrowLeft")  # from the selected 2 Oct to 1 Oct, the first day of the calendar
    page.keyboard.press("ArrowLeft")  # 30 Sep is outside: focus stays on 1 Oct
    assert page.evaluate("document.activeElement.dataset.date") == "2026-10-01"
    page.keyboard.press("Escape")
    assert picker.count() == 0 and page.locator("input[name=date]").input_value() == "02/10/2569"


def test_the_site_administration_reads_a_b_e_date_as_b_e(admin_client):
    from kpi_agreements.fiscal.services import fiscal_year_create

    year = fiscal_year_create(be_year=2570)
    response = admin_client.post(
        reverse("admin:fiscal_calendarday_add"),
        {"fiscal_year": year.pk, "date": "30/04/2570", "kind": "holiday", "name": "วันหยุดพิเศษ"},
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get().date == date(2027, 4, 30)

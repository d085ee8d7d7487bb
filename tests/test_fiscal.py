from datetime import date

import pytest
from django.urls import reverse

from kpi_agreements.fiscal.calendar import holidays_for
from kpi_agreements.fiscal.models import CalendarDay, FiscalYear, Milestone
from kpi_agreements.fiscal.services import fiscal_year_create


def test_fiscal_year_is_named_by_the_buddhist_era_year_it_ends_in(db):
    year = fiscal_year_create(be_year=2552)
    assert (year.start, year.end) == (date(2008, 10, 1), date(2009, 9, 30))


def test_a_new_year_gets_the_default_calendar_of_domain_3(db):
    year = fiscal_year_create(be_year=2552)
    due = {m.kind: m.due_date for m in year.milestones.all()}
    assert due == {
        "negotiation": date(2008, 12, 31),
        "signed": date(2009, 1, 30),
        "kpi_audit": date(2009, 3, 15),
        "change_window_1": date(2009, 3, 31),
        "report_6": date(2009, 4, 30),
        "report_9": date(2009, 7, 16),
        "report_12": date(2009, 10, 31),
        "change_window_2": date(2009, 10, 31),
        "site_visits": date(2010, 1, 31),
    }


def test_the_12_month_deadline_on_a_saturday_is_shown_rolled_forward(org, client_for):
    year = fiscal_year_create(be_year=2552)
    response = client_for(org.head_a).get(reverse("year_detail", args=[year.pk]))
    report_12 = next(m for m in response.context["milestones"] if m.kind == "report_12")
    assert report_12.effective_due == date(2009, 11, 2) and report_12.rolled
    assert "2 พ.ย. 2552" in response.content.decode()


def test_thai_holidays_come_from_the_public_and_government_calendar(db):
    year = fiscal_year_create(be_year=2569)
    days = holidays_for(year)
    assert date(2026, 4, 13) in days  # Songkran
    assert date(2025, 12, 5) in days  # King Bhumibol's birthday
    assert date(2025, 11, 5) not in days  # Loy Krathong is a working day


def test_administrators_add_and_cancel_days_off(org, client_for):
    year = org.year
    client = client_for(org.admin)
    client.post(
        reverse("calendar_day_add", args=[year.pk]),
        {"date": "2027-04-30", "kind": "holiday", "name": "วันหยุดพิเศษ"},
    )
    client.post(
        reverse("calendar_day_add", args=[year.pk]),
        {"date": "2027-04-13", "kind": "working", "name": "เปิดทำการ"},
    )
    days = holidays_for(FiscalYear.objects.get(pk=year.pk))
    assert days[date(2027, 4, 30)] == "วันหยุดพิเศษ" and date(2027, 4, 13) not in days
    response = client.get(reverse("year_detail", args=[year.pk]))
    report_6 = next(m for m in response.context["milestones"] if m.kind == "report_6")
    # 30 Apr 2027 (Fri) is now a day off; 1-2 May is a weekend, Mon 3 May the in-lieu day for Labour Day
    # and Tue 4 May Coronation Day, so the 6-month report is due on Wed 5 May 2027.
    assert report_6.effective_due == date(2027, 5, 5)


def test_a_day_already_in_the_calendar_is_refused_at_the_field(org, client_for):
    client = client_for(org.admin)
    data = {"date": "2027-04-30", "kind": "holiday", "name": "x"}
    client.post(reverse("calendar_day_add", args=[org.year.pk]), data)
    response = client.post(reverse("calendar_day_add", args=[org.year.pk]), data)
    assert response.status_code == 400 and "date" in response.context["day_form"].errors
    assert CalendarDay.objects.count() == 1


def test_milestones_are_editable_and_a_date_outside_the_year_changes_nothing(org, client_for):
    client = client_for(org.admin)
    milestones = list(org.year.milestones.all())
    data = {"form-TOTAL_FORMS": len(milestones), "form-INITIAL_FORMS": len(milestones)}
    for i, m in enumerate(milestones):
        data[f"form-{i}-id"] = m.pk
        data[f"form-{i}-start_date"] = m.start_date.isoformat() if m.start_date else ""
        data[f"form-{i}-due_date"] = m.due_date.isoformat()
    i9 = next(i for i, m in enumerate(milestones) if m.kind == "report_9")
    i6 = next(i for i, m in enumerate(milestones) if m.kind == "report_6")
    data[f"form-{i9}-due_date"] = "2027-07-20"
    data[f"form-{i6}-due_date"] = "2031-01-01"
    response = client.post(reverse("milestones_edit", args=[org.year.pk]), data)
    assert response.status_code == 200 and response.context["formset"].forms[i6].errors["due_date"]
    assert Milestone.objects.get(fiscal_year=org.year, kind="report_9").due_date == date(2027, 7, 16)
    data[f"form-{i6}-due_date"] = "2027-04-30"
    assert client.post(reverse("milestones_edit", args=[org.year.pk]), data).status_code == 302
    assert Milestone.objects.get(fiscal_year=org.year, kind="report_9").due_date == date(2027, 7, 20)


def test_a_duplicate_fiscal_year_is_refused_at_the_field(org, client_for):
    response = client_for(org.admin).post(reverse("year_create"), {"be_year": 2570})
    assert response.status_code == 200 and "be_year" in response.context["form"].errors


@pytest.mark.parametrize("persona", ["planner", "head_a", "executive", "outsider"])
def test_only_managers_of_a_whole_organisation_change_the_calendar(org, client_for, persona):
    client = client_for(getattr(org, persona))
    assert client.get(reverse("milestones_edit", args=[org.year.pk])).status_code == 404
    response = client.post(
        reverse("calendar_day_add", args=[org.year.pk]),
        {"date": "2027-04-30", "kind": "holiday", "name": "x"},
    )
    assert response.status_code == 404 and not CalendarDay.objects.exists()
    assert client.post(reverse("year_create"), {"be_year": 2571}).status_code == 404

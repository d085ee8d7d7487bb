"""Working-day calendar of a fiscal year: Thai public and government holidays plus the year's corrections."""

from datetime import date

import holidays as holidays_lib

from kpi_agreements import scoring

from .models import CalendarDay, FiscalYear, Milestone


def calendar_range(fiscal_year: FiscalYear) -> tuple[date, date]:
    """1 Oct of the year to 31 Jan after it: the 12-month report and site visits fall after 30 Sep."""
    return fiscal_year.start, date(fiscal_year.ce_end_year + 1, 1, 31)


def resolution_range(fiscal_year: FiscalYear) -> tuple[date, date]:
    """A year either side: the framework is resolved before the year opens, final scores after it closes."""
    return date(fiscal_year.ce_end_year - 2, 10, 1), date(fiscal_year.ce_end_year + 1, 9, 30)


def holidays_for(fiscal_year: FiscalYear) -> dict[date, str]:
    first, last = calendar_range(fiscal_year)
    years = range(first.year, last.year + 1)
    # NOTES.md: "public" and "government" are the days government offices close; never "workday".
    thai = holidays_lib.Thailand(years=years, categories=("public", "government"), language="th")
    days = {d: name for d, name in thai.items() if first <= d <= last}
    for day in fiscal_year.calendar_days.all():
        if day.kind == CalendarDay.Kind.HOLIDAY:
            days[day.date] = day.name
        else:
            days.pop(day.date, None)
    return days


def effective_due_date(milestone: Milestone) -> date:
    return scoring.effective_deadline(milestone.due_date, milestone.fiscal_year.holiday_dates)


def month_day(year_ce_end: int, month: int, day: int) -> date:
    # October–December belong to the calendar year before the fiscal year ends.
    return date(year_ce_end - 1 if month >= 10 else year_ce_end, month, day)


def default_milestones(fiscal_year: FiscalYear) -> list[Milestone]:
    """The FY2552 calendar of DOMAIN §3, shifted to the year (policy: editable afterwards)."""
    e = fiscal_year.ce_end_year
    K = Milestone.Kind
    spec = [
        (K.NEGOTIATION, month_day(e, 10, 1), month_day(e, 12, 31)),
        (K.SIGNED, None, date(e, 1, 30)),
        (K.KPI_AUDIT, None, date(e, 3, 15)),
        # The first window opens once agreements are signed and closes on 31 March (003_ slide 21).
        (K.CHANGE_WINDOW_1, date(e, 1, 31), date(e, 3, 31)),
        (K.REPORT_6, None, date(e, 4, 30)),
        (K.REPORT_9, None, date(e, 7, 16)),
        (K.REPORT_12, None, date(e, 10, 31)),
        # The final window closes with the 12-month report.
        (K.CHANGE_WINDOW_2, date(e, 10, 1), date(e, 10, 31)),
        (K.SITE_VISITS, date(e, 11, 1), date(e + 1, 1, 31)),
    ]
    return [Milestone(fiscal_year=fiscal_year, kind=k, start_date=s, due_date=d) for k, s, d in spec]

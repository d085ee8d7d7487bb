from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import translation

from kpi_agreements.core.thai import be_date, thai_digits


def test_dates_show_the_buddhist_era_year_in_thai_and_english():
    with translation.override("th"):
        assert be_date(date(2025, 10, 31)) == "31 ต.ค. 2568"
        assert be_date(date(2025, 10, 31), full=True) == "31 ตุลาคม 2568"
        assert be_date(date(2009, 10, 31), weekday=True) == "ส. 31 ต.ค. 2552"
    with translation.override("en"):
        assert be_date(date(2025, 10, 31)) == "31 Oct 2568 B.E."


def test_datetimes_are_shown_in_bangkok_time():
    moment = datetime(2025, 10, 31, 20, 30, tzinfo=ZoneInfo("UTC"))
    with translation.override("th"):
        assert be_date(moment) == "1 พ.ย. 2568 03:30"


def test_thai_digits_for_official_documents():
    assert thai_digits("31 ต.ค. 2568") == "๓๑ ต.ค. ๒๕๖๘"

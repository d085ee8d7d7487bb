"""Thai dates in the Buddhist Era and Thai digits (DOMAIN §3)."""

from datetime import date, datetime

from django.utils import timezone, translation

BE_OFFSET = 543
TH_MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
TH_MONTHS_FULL = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
]
EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
TH_WEEKDAYS = ["จ.", "อ.", "พ.", "พฤ.", "ศ.", "ส.", "อา."]
EN_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def thai_digits(text) -> str:
    return str(text).translate(THAI_DIGITS)


def be_date(value: date | datetime | None, *, full: bool = False, weekday: bool = False) -> str:
    """31 ต.ค. 2568 in Thai, 31 Oct 2568 B.E. in English: the Buddhist-Era year in both languages."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    thai = (translation.get_language() or "th").startswith("th")
    year = value.year + BE_OFFSET
    if thai:
        month = (TH_MONTHS_FULL if full else TH_MONTHS)[value.month - 1]
        text = f"{value.day} {month} {year}"
        prefix = TH_WEEKDAYS[value.weekday()]
    else:
        text = f"{value.day} {EN_MONTHS[value.month - 1]} {year} B.E."
        prefix = EN_WEEKDAYS[value.weekday()]
    if weekday:
        text = f"{prefix} {text}"
    if isinstance(value, datetime):
        text = f"{text} {value:%H:%M}"
    return text


def local_name(obj) -> str:
    """A named row (a dimension, a unit type …) in the reader's language: its English name (``name_en``) on
    an English page when it has one, its Thai name (``name_th``) otherwise."""
    thai = (translation.get_language() or "th").startswith("th")
    english = "" if thai else (getattr(obj, "name_en", "") or "").strip()
    return english or getattr(obj, "name_th", "") or str(obj)

"""The one date input of the application: วว/ดด/ปปปป in the Buddhist Era, with a range for its purpose."""

import json
import re
from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dates import MONTHS, WEEKDAYS_ABBR
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .thai import BE_OFFSET, be_date

# A four-digit year from 2400 is B.E. (2400 B.E. is 1857 C.E.); below it the year is plainly C.E.
BE_FROM = 2400
ASCII_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
DAY_FIRST = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
# ISO, as a browser's date input and scripted clients send it.
YEAR_FIRST = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


class NoSuchDay(ValueError):
    """The shape is right but the calendar has no such day (31/02/2569, 15/13/2569)."""


def parse_thai_date(text: str) -> date:
    """02/12/2569, 2/12/2026 and 2026-12-02 are all 2 December 2026; ValueError for anything else."""
    text = text.strip().translate(ASCII_DIGITS)
    if match := DAY_FIRST.fullmatch(text):
        day, month, year = map(int, match.groups())
    elif match := YEAR_FIRST.fullmatch(text):
        year, month, day = map(int, match.groups())
    else:
        raise ValueError(text)
    if year >= BE_FROM:
        year -= BE_OFFSET
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise NoSuchDay(text) from exc


def format_thai_date(value: date) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year + BE_OFFSET}"


class ThaiDateInput(forms.TextInput):
    """A text input that works without JavaScript; static/js/thai-date.js adds the calendar picker."""

    def __init__(self, attrs=None):
        super().__init__(
            {"inputmode": "numeric", "autocomplete": "off", "data-thai-date": "", **(attrs or {})}
        )

    def format_value(self, value):
        if isinstance(value, date):
            return format_thai_date(value)
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        attrs = context["widget"]["attrs"]
        # Built per render so the labels follow the page's language.
        attrs.setdefault("placeholder", gettext("dd/mm/yyyy (B.E.)"))
        attrs["data-picker"] = json.dumps(
            {
                "months": [str(MONTHS[m]) for m in range(1, 13)],
                "weekdays": [str(WEEKDAYS_ABBR[d]) for d in (6, 0, 1, 2, 3, 4, 5)],
                "caption": gettext("%(month)s %(year)s B.E."),
                "open": gettext("Choose the date from a calendar"),
                "prevYear": gettext("Previous year"),
                "prevMonth": gettext("Previous month"),
                "nextMonth": gettext("Next month"),
                "nextYear": gettext("Next year"),
            },
            ensure_ascii=False,
        )
        return context


class ThaiDateField(forms.DateField):
    """Returns a datetime.date; set_range() gives each form instance the dates plausible for its purpose."""

    widget = ThaiDateInput
    default_error_messages = {
        "invalid": _("Enter the date as dd/mm/yyyy in the Buddhist Era, for example 02/12/2569."),
        "no_such_day": _("There is no such day in the calendar."),
        "out_of_range": _("Enter a date from %(first)s to %(last)s."),
    }

    first = last = None

    def set_range(self, first: date, last: date):
        self.first, self.last = first, last
        # The picker opens within the range and greys out the days outside it.
        self.widget.attrs.update({"data-min": first.isoformat(), "data-max": last.isoformat()})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return parse_thai_date(str(value))
        except NoSuchDay as exc:
            raise ValidationError(self.error_messages["no_such_day"], code="no_such_day") from exc
        except ValueError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def validate(self, value):
        super().validate(value)
        if value and self.first and not self.first <= value <= self.last:
            raise ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={"first": be_date(self.first), "last": be_date(self.last)},
            )


# For ModelAdmin.formfield_overrides: the admin's own date widget reads 02/12/2569 as the year 2569 C.E.
ADMIN_DATE_FIELDS = {models.DateField: {"form_class": ThaiDateField, "widget": ThaiDateInput}}

"""One check for every name and title a person types: units, people, committees, KPIs, dimensions."""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Bidirectional controls reorder what is shown (U+202E makes "gpj.exe" read "exe.jpg"), so a name
# carrying one can impersonate another in lists, e-mails and the signed PDF.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters that render as blank space; everything else invisible is a format (Cf), control or separator.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _invisible(char: str) -> bool:
    return char in BLANK_LETTERS or char.isspace() or unicodedata.category(char) in {"Cf", "Cc", "Zs"}


def clean_name(value: str) -> str:
    """The name without invisible characters at either end; refused if it shows nothing or carries a
    text-direction control. Zero-width characters inside stay: Thai text uses U+200B as a word break."""
    if any(char in BIDI_CONTROLS for char in value):
        raise ValidationError(
            _("Remove the hidden text-direction characters from this name; they change how it is displayed."),
            code="bidi_control",
        )
    start, end = 0, len(value)
    while start < end and _invisible(value[start]):
        start += 1
    while end > start and _invisible(value[end - 1]):
        end -= 1
    if value and start == end:
        raise ValidationError(
            _("This name has only invisible characters; type a name that can be read."), code="invisible"
        )
    return value[start:end]


class NameField(forms.CharField):
    """A form field for names and titles: see ``clean_name``."""

    def to_python(self, value):
        value = super().to_python(value)
        return clean_name(value) if value else value

"""The one table of method and direction labels (Thai through the catalogue, English as written).

Models take their choices from here, the forms and the Excel workbook their labels, the PDF its wording; the
Excel import reads any of the labels back to a code.
"""

from collections.abc import Mapping

from django.utils import translation
from django.utils.translation import gettext_lazy as _

METHOD_LABELS = {
    "quantitative": _("Quantitative"),
    "multi_quantitative": _("Several quantitative measures"),
    "milestone": _("Milestones"),
    "pass_fail": _("Pass / fail"),
    "qualitative": _("Qualitative"),
}
DIRECTION_LABELS = {"higher": _("Higher is better"), "lower": _("Lower is better")}
METHOD_CHOICES = list(METHOD_LABELS.items())
DIRECTION_CHOICES = list(DIRECTION_LABELS.items())


class _Lazy(Mapping):
    """A mapping worked out on first use: the catalogue is not loaded when modules are imported."""

    def __init__(self, make):
        self._make, self._data = make, None

    def _get(self) -> dict:
        if self._data is None:
            self._data = self._make()
        return self._data

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())


def in_thai(labels: dict) -> Mapping[str, str]:
    """The labels as the official documents and workbooks print them, whatever language the page is in."""

    def make():
        with translation.override("th"):
            return {code: str(label) for code, label in labels.items()}

    return _Lazy(make)


def codes(labels: dict) -> Mapping[str, str]:
    """Every way a label may be written back (Thai, English, the code itself), case-folded → the code."""

    def make():
        found = {}
        for language in ("th", "en"):
            with translation.override(language):
                for code, label in labels.items():
                    found[str(label).casefold()] = code
                    # Workbooks of earlier years write the directions without the leading ค่า.
                    found[str(label).casefold().removeprefix("ค่า")] = code
        found.update({code: code for code in labels})
        return found

    return _Lazy(make)

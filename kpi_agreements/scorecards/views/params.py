"""The scorecard's query string: basis, subtree, unit type, level, sort, "you ± 5". A value that is not a
whole number is reported in a message and ignored (never a 500); a unit outside the user's scope is 404."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import Http404
from django.utils.translation import gettext as _

from kpi_agreements.core.params import id_param
from kpi_agreements.organisation.models import Unit

from ..access import get_unit_in_scope
from ..selectors import BASES, SELF, sort_keys


@dataclass
class Params:
    basis: str = SELF
    unit: Unit | None = None
    unit_type: int | None = None
    level: int | None = None
    sort: str = "rank"
    around: bool = False
    problems: list = field(default_factory=list)

    def as_dict(self, **changes) -> dict:
        """The non-default values, as strings for a link or ints for a job's parameters."""
        values = {
            "basis": self.basis if self.basis != SELF else None,
            "unit": self.unit.pk if self.unit else None,
            "type": self.unit_type,
            "level": self.level,
            "sort": self.sort if self.sort != "rank" else None,
            "around": "me" if self.around else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}

    def query(self, **changes) -> str:
        return urlencode(self.as_dict(**changes))


def _whole(request, name: str, label: str, problems: list) -> int | None:
    try:
        return id_param(request, name)
    except Http404:
        problems.append(
            _("The filter “%(filter)s” takes a whole number; “%(value)s” was ignored.")
            % {"filter": label, "value": request.GET.get(name, "")[:40]}
        )
        return None


def basis_of(request, problems: list) -> str:
    basis = request.GET.get("basis", SELF) or SELF
    if basis not in BASES:
        problems.append(
            _("Show either the self-assessed or the verified figures; “%(value)s” was ignored.")
            % {"value": basis[:40]}
        )
        return SELF
    return basis


def read_params(request, fiscal_year, dimensions=()) -> Params:
    problems = []
    params = Params(problems=problems, basis=basis_of(request, problems))
    unit = _whole(request, "unit", _("units under"), problems)
    if unit is not None:
        params.unit = get_unit_in_scope(request.user, unit, fiscal_year)
    params.unit_type = _whole(request, "type", _("unit type"), problems)
    params.level = _whole(request, "level", _("level"), problems)
    sort = request.GET.get("sort", "") or "rank"
    if sort.lstrip("-") in sort_keys(dimensions):
        params.sort = sort
    else:
        problems.append(
            _("The table cannot be sorted by “%(value)s”; it is sorted by rank.") % {"value": sort[:40]}
        )
    params.around = request.GET.get("around") == "me"
    return params

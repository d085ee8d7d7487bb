"""Reads of an agreement: its outline, weights, problems before submission (no writes here)."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from kpi_agreements import scoring
from kpi_agreements.agreements.models import KPI, Agreement, Dimension, Party
from kpi_agreements.criteria.rows import format_decimal
from kpi_agreements.criteria.validation import scoring_message

HUNDRED = Decimal(100)


# --- reading an agreement's outline ------------------------------------------------------------------


def outline(kpis) -> list[KPI]:
    """KPIs in reading order, each with ``number`` (1, 1.1, 1.2 …) and ``depth``; one pass, no queries.

    Top-level KPIs are numbered through the whole agreement in dimension order, as in the manuals.
    """
    children = defaultdict(list)
    for kpi in kpis:
        children[kpi.parent_id].append(kpi)
    for siblings in children.values():
        siblings.sort(key=lambda k: (k.dimension.order, k.dimension_id, k.order, k.pk))
    rows: list[KPI] = []

    def walk(parent_id, prefix, depth):
        for i, kpi in enumerate(children.get(parent_id, []), start=1):
            kpi.number = f"{prefix}{i}"
            kpi.depth = depth
            kpi.child_list = children.get(kpi.pk, [])
            rows.append(kpi)
            walk(kpi.pk, f"{kpi.number}.", depth + 1)

    walk(None, "", 0)
    return rows


def cascade_chains(kpis) -> list[tuple[KPI, int]]:
    """(KPI, depth) rows of every cascade chain among ``kpis``: a KPI that serves nothing in the list but is
    served by one, then what serves it, depth first. One pass, no queries beyond reading ``kpis``."""
    kpis = list(kpis)
    ids = {k.pk for k in kpis}
    served_by: dict = {}
    for k in kpis:
        served_by.setdefault(k.cascaded_from_id if k.cascaded_from_id in ids else None, []).append(k)
    rows = []

    def walk(kpi, depth):
        rows.append((kpi, depth))
        for child in served_by.get(kpi.pk, []):
            walk(child, depth + 1)

    for root in served_by.get(None, []):
        if root.pk in served_by:
            walk(root, 0)
    return rows


@dataclass
class WeightReport:
    """Running totals of an agreement's weights and what is wrong with them (DOMAIN §4)."""

    dimensions: list = field(default_factory=list)  # [(dimension, total, difference)]
    total: Decimal = Decimal(0)
    parent_mismatches: list = field(default_factory=list)  # [(kpi, sum of children)]

    @property
    def difference(self) -> Decimal:
        return self.total - HUNDRED

    @property
    def balanced(self) -> bool:
        return (
            self.difference == 0
            and not self.parent_mismatches
            and all(diff == 0 for _, _, diff in self.dimensions)
        )

    def problems(self) -> list[str]:
        out = []
        if self.difference:
            out.append(
                _("The weights add up to %(total)s, not 100 (difference %(diff)s).")
                % {"total": format_weight(self.total), "diff": _signed(self.difference)}
            )
        for dimension, total, diff in self.dimensions:
            if diff:
                out.append(
                    _(
                        "Dimension %(dimension)s: the KPIs weigh %(total)s, the framework sets %(weight)s "
                        "(difference %(diff)s)."
                    )
                    % {
                        "dimension": dimension.name_th,
                        "total": format_weight(total),
                        "weight": format_weight(dimension.weight),
                        "diff": _signed(diff),
                    }
                )
        for kpi, children in self.parent_mismatches:
            out.append(
                _("KPI %(number)s weighs %(weight)s but its sub-KPIs add up to %(children)s.")
                % {
                    "number": kpi.number,
                    "weight": format_weight(kpi.weight),
                    "children": format_weight(children),
                }
            )
        return out


def format_weight(value: Decimal) -> str:
    return format_decimal(value)


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + format_weight(value)


def weight_report(rows: list[KPI], dimensions: list[Dimension]) -> WeightReport:
    report = WeightReport()
    top = [k for k in rows if k.parent_id is None]
    for dimension in dimensions:
        total = sum((k.weight for k in top if k.dimension_id == dimension.pk), Decimal(0))
        report.dimensions.append((dimension, total, total - dimension.weight))
    report.total = sum((k.weight for k in top), Decimal(0))
    for kpi in rows:
        if kpi.child_list:
            children = sum((c.weight for c in kpi.child_list), Decimal(0))
            if children != kpi.weight:
                report.parent_mismatches.append((kpi, children))
    return report


REQUIRED_TEMPLATE_FIELDS = [
    "name",
    "unit_of_measure",
    "description",
    "formula",
    "data_source",
    "collection_method",
]


def submission_problems(agreement: Agreement, kpis: list[KPI] | None = None, report=None) -> list[str]:
    """Everything that stops a draft from going to the committee; empty when it may be submitted.

    Pass the outline and weight report a page has already built to spare the queries.
    """
    if kpis is None:
        kpis = outline(agreement.kpis.select_related("dimension"))
    if report is None:
        report = weight_report(kpis, list(agreement.fiscal_year.dimensions.all()))
    problems = report.problems() + party_problems(list(agreement.parties.all()))
    if not kpis:
        problems.append(_("The agreement has no KPIs."))
    for kpi in kpis:
        if kpi.child_list:
            continue  # a parent is scored from its sub-KPIs
        labels = {f: str(KPI._meta.get_field(f).verbose_name) for f in REQUIRED_TEMPLATE_FIELDS}
        missing = [labels[f] for f in REQUIRED_TEMPLATE_FIELDS if not str(getattr(kpi, f)).strip()]
        if not kpi.supervisor_id:
            missing.append(str(KPI._meta.get_field("supervisor").verbose_name))
        if not kpi.collector_id:
            missing.append(str(KPI._meta.get_field("collector").verbose_name))
        if missing:
            problems.append(
                _("KPI %(number)s: the KPI Template lacks %(fields)s.")
                % {"number": kpi.number, "fields": ", ".join(missing)}
            )
        try:
            scoring.validate_criteria(kpi.method, kpi.criteria)
        except scoring.ScoringError as exc:
            problems.append(
                _("KPI %(number)s: %(message)s") % {"number": kpi.number, "message": scoring_message(exc)}
            )
    return problems


def party_problems(parties: list[Party]) -> list[str]:
    """§5: one pledgor and one recipient, and the pledgor, recipient and co-signer are different people."""
    problems = []
    for role in (Party.Role.PLEDGOR, Party.Role.RECIPIENT):
        if not any(p.role == role and p.person_id for p in parties):
            problems.append(_("The agreement needs a %(role)s.") % {"role": role.label})
    for role in Party.Role:
        if sum(p.role == role for p in parties) > 1:
            problems.append(_("The agreement has more than one %(role)s.") % {"role": role.label})
    people = [p.person_id for p in parties if p.person_id]
    if len(people) != len(set(people)):
        problems.append(_("The pledgor, the recipient and the co-signer must be different people."))
    return problems

"""Reads of an agreement: its outline, weights, problems before submission (no writes here)."""

import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from kpi_agreements import scoring
from kpi_agreements.agreements.models import KPI, Agreement, Dimension, MandatoryKPI, Party
from kpi_agreements.criteria.rows import format_decimal
from kpi_agreements.criteria.validation import scoring_message
from kpi_agreements.organisation.models import UnitType
from kpi_agreements.organisation.selectors import committees_covering

HUNDRED = Decimal(100)


# --- numbers -------------------------------------------------------------------------------------


def natural_key(code: str) -> tuple:
    """Sort key of a code read as people read it: 8, 9, 10 and 1.2, 1.10 (DOMAIN §4), never as text."""
    parts = re.split(r"(\d+)", (code or "").strip())
    # Split on digits, the pieces alternate text, number, text …, so like is always compared with like.
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def _last_number(code: str, prefix: str) -> int | None:
    """3 for code "1.3" under prefix "1." (or "3" under ""); None when the code is not one of that level."""
    rest = code[len(prefix) :] if code.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def _mandatory_codes(kpis: list) -> dict:
    """Framework codes of the KPIs' mandatory KPIs: from the loaded relation (or a ``mandatory_code`` read
    with the rows, as the year's export does), else in one query."""
    codes, missing = {}, set()
    for kpi in kpis:
        mandatory_id = getattr(kpi, "mandatory_id", None)
        if mandatory_id is None:
            continue
        code = getattr(kpi, "mandatory_code", None)
        if code is None and isinstance(kpi, KPI) and KPI.mandatory.is_cached(kpi):
            code = kpi.mandatory.code
        if code is None:
            missing.add(mandatory_id)
        else:
            codes[mandatory_id] = code
    if missing - set(codes):
        codes.update(MandatoryKPI.objects.filter(pk__in=missing - set(codes)).values_list("pk", "code"))
    return codes


# --- reading an agreement's outline ------------------------------------------------------------------


def outline(kpis) -> list[KPI]:
    """KPIs in reading order, each with ``number`` (1, 1.1, 3.2 …), ``depth`` and ``child_list``.

    The one numbering of an agreement (its page, the PDF, Excel, the versions' snapshots, the round reports):
    a mandatory KPI keeps the framework's code (1.1 stays 1.1, DOMAIN §4); the unit's own KPIs are numbered
    after them, through the agreement in dimension order as in the manuals, skipping the codes the framework
    uses at that level, so no two KPIs share a number. One query at most (the codes, when the mandatory KPIs
    were not loaded with the KPIs).
    """
    kpis = list(kpis)
    codes = _mandatory_codes(kpis)
    children = defaultdict(list)
    for kpi in kpis:
        children[kpi.parent_id].append(kpi)
    for siblings in children.values():
        siblings.sort(
            key=lambda k: (k.dimension.order, k.dimension_id, k.order, k.pk is None, k.pk or 0, id(k))
        )
    rows: list[KPI] = []

    def walk(parent_id, prefix, depth):
        siblings = children.get(parent_id, [])
        mandatory = [codes.get(getattr(k, "mandatory_id", None)) for k in siblings]
        taken = {_last_number(code, prefix) for code in mandatory if code}
        counter = 0
        for kpi, code in zip(siblings, mandatory, strict=True):
            if code:
                kpi.number = code
                counter = max(counter, _last_number(code, prefix) or 0)
            else:
                counter += 1
                while counter in taken:
                    counter += 1
                kpi.number = f"{prefix}{counter}"
            kpi.depth = depth
            kpi.child_list = children.get(kpi.pk, []) if kpi.pk is not None else []
            rows.append(kpi)
            if kpi.pk is not None:
                walk(kpi.pk, f"{kpi.number}.", depth + 1)

    walk(None, "", 0)
    return rows


# --- redistributing weights ----------------------------------------------------------------------

_POOL = object()  # the weight being spread, as one more key beside the receivers


def _spread(amount: Decimal, weights: Mapping[Hashable, Decimal]) -> dict:
    """``amount`` shared among ``weights`` in proportion, exactly (the engine's rounding and remainder)."""
    after = scoring.redistribute_weights({**weights, _POOL: amount}, [_POOL])
    return {key: after[key] - weights[key] for key in weights}


def redistribute(
    weights: Mapping[Hashable, object],
    parent_of: Mapping[Hashable, Hashable | None],
    dimension_of: Mapping[Hashable, Hashable],
    dropped: Iterable[Hashable],
    rules: Mapping[Hashable, Iterable[tuple[Hashable, object]]] | None = None,
) -> dict[Hashable, Decimal]:
    """Every remaining KPI's weight once the ``dropped`` KPIs go, at every level of the tree (DOMAIN §4).

    ``weights`` holds every KPI in reading order, a parent's weight being the sum of its sub-KPIs';
    ``parent_of`` its parent (None at the top), ``dimension_of`` its dimension. A dropped KPI takes its
    sub-KPIs with it, and a parent whose sub-KPIs all go goes too. The weight of each dropped KPI goes:

    1. by the framework's named ``rules`` (source -> [(target, amount or None for all that is left)]); a rule
       that names a parent is shared by its sub-KPIs in proportion to their weights;
    2. what no rule placed, to the remaining KPIs beside it: the same parent's sub-KPIs, or at the top level
       the KPIs of the same dimension, in proportion to their weights;
    3. across dimensions, to every remaining top-level KPI, only when none remains in its dimension.

    So a dimension keeps its weight whenever it keeps a KPI. Parents come back as the sum of their sub-KPIs'.
    Raises ``scoring.ScoringError`` when a rule moves more than is left or nothing remains to take the weight.
    """
    rules = rules or {}
    children: dict = defaultdict(list)
    for key in weights:
        children[parent_of.get(key)].append(key)
    gone: set = set()

    def drop(key):
        gone.add(key)
        for child in children.get(key, []):
            drop(child)

    for key in dropped:
        drop(key)

    def settle(key):  # bottom-up: a parent left without sub-KPIs goes too
        kids = children.get(key, [])
        for child in kids:
            settle(child)
        if kids and all(child in gone for child in kids):
            gone.add(key)

    for key in list(children[None]):
        settle(key)
    kept = {key: [c for c in children.get(key, []) if c not in gone] for key in [None, *weights]}
    leaf = {
        key: scoring.to_decimal(value, "weight")
        for key, value in weights.items()
        if key not in gone and not kept[key]
    }

    def current(key) -> Decimal:
        return leaf[key] if key in leaf else sum((current(c) for c in kept[key]), Decimal(0))

    def give(key, amount: Decimal) -> None:
        if not kept[key]:
            leaf[key] += amount
            return
        for child, share in _spread(amount, {c: current(c) for c in kept[key]}).items():
            give(child, share)

    pools: dict = {}
    roots = [k for k in weights if k in gone and (parent_of.get(k) is None or parent_of[k] not in gone)]
    for key in roots:
        left, unplaced = scoring.to_decimal(weights[key], "weight"), Decimal(0)
        for i, (target, amount) in enumerate(rules.get(key, ())):
            moved = left if amount is None else scoring.to_decimal(amount, "amount")
            if moved > left:
                raise scoring.ScoringError(
                    "rule_exceeds_weight", f"rules[{key!r}][{i}]", key=key, moved=moved, weight=weights[key]
                )
            left -= moved
            if target in weights and target not in gone:
                give(target, moved)
            else:
                unplaced += moved  # the target is not in this agreement: the weight goes beside the source
        parent = parent_of.get(key)
        slot = ("kpi", parent) if parent is not None else ("dimension", dimension_of.get(key))
        pools[slot] = pools.get(slot, Decimal(0)) + left + unplaced
    across = Decimal(0)
    for (kind, ref), amount in pools.items():
        if not amount:
            continue
        if kind == "kpi":
            beside = kept[ref]
        else:
            beside = [k for k in kept[None] if dimension_of.get(k) == ref]
        if not beside:
            across += amount
            continue
        for key, share in _spread(amount, {k: current(k) for k in beside}).items():
            give(key, share)
    if across:
        if not kept[None]:
            raise scoring.ScoringError("no_kpi_left", "dropped", weight=across)
        for key, share in _spread(across, {k: current(k) for k in kept[None]}).items():
            give(key, share)
    return {key: current(key) for key in weights if key not in gone}


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


# --- the framework's mandatory KPIs ----------------------------------------------------------------


def mandatory_outline(mandatory: Iterable[MandatoryKPI]) -> list[MandatoryKPI]:
    """Mandatory KPIs in reading order (dimension, then codes sorted naturally, sub-KPIs under their parent),
    each with ``depth`` and ``child_list``. Load them with their dimension."""
    items = list(mandatory)
    ids = {m.pk for m in items}
    children = defaultdict(list)
    for m in items:
        children[m.parent_id if m.parent_id in ids else None].append(m)
    for siblings in children.values():
        siblings.sort(key=lambda m: (m.dimension.order, m.dimension_id, natural_key(m.code), m.pk))
    rows: list[MandatoryKPI] = []

    def walk(parent_id, depth):
        for m in children.get(parent_id, []):
            m.depth, m.child_list = depth, children.get(m.pk, [])
            rows.append(m)
            walk(m.pk, depth + 1)

    walk(None, 0)
    return rows


def mandatory_weights(mandatory: list[MandatoryKPI], unit_type_id) -> dict[int, Decimal]:
    """The weights an agreement of a unit of this type starts with: the mandatory KPIs that apply to the type
    (no unit types = every type; a sub-KPI only where its parent applies), after the framework's rules (§4).

    Load ``mandatory`` with ``unit_types`` and ``rules_out`` prefetched; keys are mandatory KPI ids.
    """
    by_pk = {m.pk: m for m in mandatory}

    def applies(m) -> bool:
        types = {t.pk for t in m.unit_types.all()}
        parent = by_pk.get(m.parent_id)
        return (not types or unit_type_id in types) and (parent is None or applies(parent))

    return redistribute(
        {m.pk: m.weight for m in mandatory},
        {m.pk: m.parent_id if m.parent_id in by_pk else None for m in mandatory},
        {m.pk: m.dimension_id for m in mandatory},
        [m.pk for m in mandatory if not applies(m)],
        {m.pk: [(r.target_id, r.amount) for r in m.rules_out.all()] for m in mandatory},
    )


@dataclass
class FrameworkCheck:
    """The framework's weights against its dimensions (§4), shown on its page before agreements are made."""

    dimensions: list = field(default_factory=list)  # [(dimension, mandatory weight, room left)]
    total: Decimal = Decimal(0)  # the dimensions' weights
    mandatory_total: Decimal = Decimal(0)
    problems: list = field(default_factory=list)


def framework_check(fiscal_year, rows: list[MandatoryKPI] | None = None, unit_types=None) -> FrameworkCheck:
    """Per dimension, the mandatory KPIs' weight against the dimension's; and for every unit type, what its
    agreements would start with: a dimension over its weight is a problem (units fill the rest with their
    own KPIs, so under it is not). ``rows`` as ``mandatory_outline`` gives them, with ``unit_types`` and
    ``rules_out`` prefetched."""
    dimensions = list(fiscal_year.dimensions.all())
    if rows is None:
        rows = mandatory_outline(
            fiscal_year.mandatory_kpis.select_related("dimension").prefetch_related("unit_types", "rules_out")
        )
    check = FrameworkCheck(total=sum((d.weight for d in dimensions), Decimal(0)))
    top = [m for m in rows if m.depth == 0]
    for d in dimensions:
        weight = sum((m.weight for m in top if m.dimension_id == d.pk), Decimal(0))
        check.dimensions.append((d, weight, d.weight - weight))
    check.mandatory_total = sum((m.weight for m in top), Decimal(0))
    if dimensions and check.total != HUNDRED:
        check.problems.append(
            _("The dimensions weigh %(total)s in all, not 100.") % {"total": format_weight(check.total)}
        )
    if not rows:
        return check
    types = list(UnitType.objects.all()) if unit_types is None else list(unit_types)
    top_dimension = {m.pk: m.dimension_id for m in top}
    over: dict = {}  # (dimension, weight) -> the unit types whose agreements would start over it
    for unit_type in types:
        try:
            weights = mandatory_weights(rows, unit_type.pk)
        except scoring.ScoringError as exc:
            check.problems.append(
                _("Unit type %(type)s: %(message)s") % {"type": unit_type, "message": scoring_message(exc)}
            )
            continue
        for d in dimensions:
            weight = sum((w for pk, w in weights.items() if top_dimension.get(pk) == d.pk), Decimal(0))
            if weight > d.weight:
                over.setdefault((d, weight), []).append(str(unit_type))
    for (d, weight), names in over.items():
        check.problems.append(
            _(
                "Dimension %(dimension)s: the mandatory KPIs of %(types)s weigh %(weight)s, more than the "
                "dimension's %(limit)s; their agreements would start unbalanced."
            )
            % {
                "dimension": d.name_th,
                "types": ", ".join(names),
                "weight": format_weight(weight),
                "limit": format_weight(d.weight),
            }
        )
    return check


def mandatory_delete_effects(mandatory: MandatoryKPI) -> dict:
    """What deleting a mandatory KPI takes with it, for its confirmation: its sub-KPIs, the redistribution
    rules from or to any of them, and the agreements that carry one (these stop the deletion)."""
    year = list(mandatory.fiscal_year.mandatory_kpis.select_related("dimension"))
    rows = mandatory_outline(year)
    subtree, frontier = {mandatory.pk}, [mandatory.pk]
    while frontier:
        frontier = [m.pk for m in year if m.parent_id in frontier]
        subtree.update(frontier)
    rules = sorted(
        (
            r
            for r in mandatory.fiscal_year.redistribution_rules.select_related("source", "target")
            if r.source_id in subtree or r.target_id in subtree
        ),
        key=lambda r: (natural_key(r.source.code), natural_key(r.target.code)),
    )
    agreements = KPI.objects.filter(mandatory__in=subtree).values("agreement_id").distinct().count()
    return {
        "children": [m for m in rows if m.pk in subtree and m.pk != mandatory.pk],
        "rules": rules,
        "agreements": agreements,
    }


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
    if not committees_covering(agreement.unit_id, agreement.fiscal_year_id).exists():
        problems.append(no_committee_message(agreement))
    if not kpis:
        problems.append(_("The agreement has no KPIs."))
    labels = {f: str(KPI._meta.get_field(f).verbose_name) for f in REQUIRED_TEMPLATE_FIELDS}
    for kpi in kpis:
        if kpi.child_list:
            continue  # a parent is scored from its sub-KPIs
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


def no_committee_message(agreement: Agreement) -> str:
    """Submitted with no committee covering the unit that year, it would sit in nobody's queue (13.5)."""
    return _("No committee covers %(unit)s in %(year)s; the planning staff must set one up first.") % {
        "unit": agreement.unit,
        "year": agreement.fiscal_year,
    }


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

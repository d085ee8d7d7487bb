"""Writes to frameworks, agreements and KPIs; each service owns its transaction (STYLE.md)."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from kpi_agreements import scoring
from kpi_agreements.core.scoring_ui import check_criteria, check_weight, scoring_message
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.models import Unit

from .models import KPI, Agreement, Dimension, MandatoryKPI, Party, SigningRule

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
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")


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


# --- creating the year's agreements ------------------------------------------------------------------


def _nearest(unit: Unit, unit_type_id, ancestors: dict[str, Unit]) -> Unit | None:
    """The nearest unit above ``unit`` of the given type (or the parent when no type is given)."""
    paths = [unit.path[:n] for n in range(len(unit.path) - Unit.steplen, 0, -Unit.steplen)]
    for path in paths:
        candidate = ancestors.get(path)
        if candidate and (unit_type_id is None or candidate.unit_type_id == unit_type_id):
            return candidate
    return None


def default_parties(unit: Unit, ancestors: dict[str, Unit], rules: dict) -> list[Party]:
    """§5: the unit head pledges to the head of the parent, unless the unit type's signing rule says who."""
    rule = rules.get(unit.unit_type_id)
    recipient_unit = _nearest(unit, rule.recipient_type_id if rule else None, ancestors)
    parties = [
        Party(
            role=Party.Role.PLEDGOR,
            person=unit.head,
            order=0,
            position=unit.head.position if unit.head else "",
        )
    ]
    head = recipient_unit.head if recipient_unit else None
    parties.append(
        Party(role=Party.Role.RECIPIENT, person=head, order=1, position=head.position if head else "")
    )
    if rule and rule.co_signer_type_id:
        co_unit = _nearest(unit, rule.co_signer_type_id, ancestors)
        co = co_unit.head if co_unit else None
        parties.append(
            Party(role=Party.Role.CO_SIGNER, person=co, order=2, position=co.position if co else "")
        )
    return parties


def mandatory_weights(mandatory: list[MandatoryKPI], unit: Unit) -> dict[int, Decimal]:
    """Weights of the mandatory KPIs that apply to the unit, after the framework's redistribution rules."""
    applies = {m.pk for m in mandatory if not m.type_ids or unit.unit_type_id in m.type_ids}
    dropped = [m.pk for m in mandatory if m.pk not in applies]
    weights = {m.pk: m.weight for m in mandatory}
    if not dropped or not applies:
        return {pk: w for pk, w in weights.items() if pk in applies}
    rules = defaultdict(list)
    for m in mandatory:
        for rule in m.rules_out.all():
            rules[m.pk].append((rule.target_id, rule.amount))
    return scoring.redistribute_weights(weights, dropped, rules)


def _lock_year_creations(fiscal_year) -> None:
    """Creating agreements of a year takes turns: two people pressing "create" at once make one agreement
    per unit, and the second learns that it exists instead of meeting the unique constraint."""
    FiscalYear.objects.select_for_update().filter(pk=fiscal_year.pk).first()


@transaction.atomic
def agreements_create(*, fiscal_year, units: list[Unit]) -> list[Agreement]:
    """One draft per unit in scope that has none yet, pre-filled with the mandatory KPIs and the parties."""
    _lock_year_creations(fiscal_year)
    existing = set(
        Agreement.objects.filter(fiscal_year=fiscal_year, unit__in=units).values_list("unit_id", flat=True)
    )
    # Read the units afresh: the parties come from their heads as they are now, not as the caller saw them.
    units = list(
        Unit.objects.filter(pk__in=[u.pk for u in units if u.pk not in existing])
        .select_related("head")
        .order_by("path")
    )
    if not units:
        return []
    ancestor_paths = {u.path[:n] for u in units for n in range(Unit.steplen, len(u.path), Unit.steplen)}
    ancestors = {u.path: u for u in Unit.objects.filter(path__in=ancestor_paths).select_related("head")}
    rules = {r.unit_type_id: r for r in SigningRule.objects.all()}
    mandatory = list(fiscal_year.mandatory_kpis.prefetch_related("unit_types", "rules_out"))
    for m in mandatory:
        m.type_ids = {t.pk for t in m.unit_types.all()}
    created = []
    for unit in units:
        agreement = Agreement.objects.create(unit=unit, fiscal_year=fiscal_year)
        parties = default_parties(unit, ancestors, rules)
        for party in parties:
            party.agreement = agreement
        bulk_create_with_history(parties, Party)
        weights = mandatory_weights(mandatory, unit)
        bulk_create_with_history(
            [
                KPI(
                    agreement=agreement,
                    dimension_id=m.dimension_id,
                    mandatory=m,
                    order=i,
                    weight=weights[m.pk],
                    **m.template_values(),
                )
                for i, m in enumerate(mandatory)
                if m.pk in weights
            ],
            KPI,
        )
        created.append(agreement)
    return created


# --- editing KPIs ----------------------------------------------------------------------------------


def _check_editable(agreement: Agreement) -> None:
    if not agreement.is_editable:
        raise ValidationError(_("This agreement is no longer a draft and cannot be changed here."))


def sync_parent_weights(agreement: Agreement) -> None:
    """A parent KPI's weight is the sum of its children's (DOMAIN §4), recomputed bottom-up."""
    rows = outline(agreement.kpis.select_related("dimension"))
    for kpi in reversed(rows):
        if kpi.child_list:
            total = sum((c.weight for c in kpi.child_list), Decimal(0))
            if total != kpi.weight:
                kpi.weight = total
                kpi.save(update_fields=["weight"])


@transaction.atomic
def kpi_create(*, agreement: Agreement, dimension: Dimension, parent: KPI | None = None, **fields) -> KPI:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _check_editable(agreement)
    fields["weight"] = check_weight(fields.get("weight"))
    if parent is not None:
        if parent.agreement_id != agreement.pk:
            raise ValidationError({"parent": _("The parent KPI belongs to another agreement.")})
        dimension = parent.dimension
    last = agreement.kpis.filter(parent=parent, dimension=dimension).aggregate(m=Max("order"))["m"]
    kpi = KPI.objects.create(
        agreement=agreement, dimension=dimension, parent=parent, order=(last or 0) + 1, **fields
    )
    sync_parent_weights(agreement)
    return kpi


@transaction.atomic
def kpi_update(*, kpi: KPI, **fields) -> KPI:
    agreement = Agreement.objects.select_for_update().get(pk=kpi.agreement_id)
    _check_editable(agreement)
    if "weight" in fields:
        fields["weight"] = check_weight(fields["weight"])
    if "criteria" in fields:
        check_criteria(fields.get("method", kpi.method), fields["criteria"])
    for name, value in fields.items():
        setattr(kpi, name, value)
    kpi.save()
    sync_parent_weights(agreement)
    return kpi


@transaction.atomic
def kpi_delete(*, kpi: KPI) -> None:
    agreement = Agreement.objects.select_for_update().get(pk=kpi.agreement_id)
    _check_editable(agreement)
    doomed = _with_descendants(kpi)
    served = list(
        KPI.objects.filter(cascaded_from__in=doomed).exclude(pk__in=doomed).select_related("agreement")
    )
    fixed = [k for k in served if not k.agreement.is_editable]
    if fixed:
        # A submitted or signed agreement still points at this KPI; it must stay as it was signed.
        raise ValidationError(
            _("KPI %(name)s cannot be deleted: the agreements of %(units)s, no longer drafts, serve it.")
            % {"name": kpi.name, "units": ", ".join(sorted({str(k.agreement) for k in fixed}))}
        )
    for other in served:  # drafts simply lose the link, with a history row saying why
        other.cascaded_from = None
        other._change_reason = "cascade target deleted"
        other.save(update_fields=["cascaded_from"])
    try:
        with transaction.atomic():
            kpi.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _("KPI %(name)s cannot be deleted: a change request or another record refers to it.")
            % {"name": kpi.name}
        ) from exc
    sync_parent_weights(agreement)


def _with_descendants(kpi: KPI) -> list[int]:
    ids, frontier = [kpi.pk], [kpi.pk]
    while frontier:
        frontier = list(KPI.objects.filter(parent__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


@transaction.atomic
def kpi_move(*, kpi: KPI, step: int) -> None:
    """Swap the KPI with its neighbour among its siblings (step -1 up, +1 down)."""
    agreement = Agreement.objects.select_for_update().get(pk=kpi.agreement_id)
    _check_editable(agreement)
    siblings = list(
        agreement.kpis.filter(parent=kpi.parent_id, dimension=kpi.dimension_id).order_by("order", "pk")
    )
    i = next(i for i, k in enumerate(siblings) if k.pk == kpi.pk)
    j = i + step
    if 0 <= j < len(siblings):
        siblings[i], siblings[j] = siblings[j], siblings[i]
    for n, sibling in enumerate(siblings, start=1):
        if sibling.order != n:
            sibling.order = n
            sibling.save(update_fields=["order"])


@transaction.atomic
def agreement_update(*, agreement: Agreement, **fields) -> Agreement:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _check_editable(agreement)
    for name, value in fields.items():
        setattr(agreement, name, value)
    agreement.save()
    return agreement


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


def signing_rule_parties(agreement: Agreement) -> dict[str, int | None]:
    """Who the signing rules name for each role today: the person each party defaults to."""
    unit = agreement.unit
    ancestor_paths = [unit.path[:n] for n in range(Unit.steplen, len(unit.path), Unit.steplen)]
    ancestors = {u.path: u for u in Unit.objects.filter(path__in=ancestor_paths).select_related("head")}
    rules = {r.unit_type_id: r for r in SigningRule.objects.filter(unit_type=unit.unit_type_id)}
    return {p.role: p.person_id for p in default_parties(unit, ancestors, rules)}


@transaction.atomic
def parties_save(*, agreement: Agreement, formset, user) -> None:
    """Save the parties' formset; a party's position defaults to the person's current position.

    An editor may correct the parties (an acting head, a vacancy), but never put himself on the other side:
    the recipient and co-signer he may name are the signing rules' people or someone else (§5).
    """
    _check_editable(Agreement.objects.select_for_update().get(pk=agreement.pk))
    saved = formset.save(commit=False)
    kept = {p.pk: p for p in agreement.parties.all() if p not in formset.deleted_objects}
    kept.update({p.pk or id(p): p for p in saved})
    parties = list(kept.values())
    by_rules = signing_rule_parties(agreement)
    errors = party_problems(parties)
    for party in saved:
        if (
            party.role != Party.Role.PLEDGOR
            and party.person_id == user.pk
            and by_rules.get(party.role) != user.pk
        ):
            errors.append(
                _("You edit this agreement, so you cannot be its %(role)s.")
                % {"role": party.get_role_display()}
            )
    if errors:
        raise ValidationError(errors)
    for party in formset.deleted_objects:
        party.delete()
    for party in saved:
        if party.person and not party.position:
            party.position = party.person.position
        party.save()


def shift_baseline(baseline: list, previous_year: int) -> list:
    """Past results move back a year: the oldest drops off, last year's result is a new blank to fill."""
    kept = [row for row in baseline if str(row.get("year")) != str(previous_year)][-2:]
    return [*kept, {"year": previous_year, "value": ""}]


@transaction.atomic
def agreement_copy_previous(*, unit: Unit, fiscal_year) -> Agreement:
    """Start this year's draft from the unit's previous agreement: KPIs, templates, criteria (§ issue 4.6)."""
    previous = (
        Agreement.objects.filter(unit=unit, fiscal_year__be_year=fiscal_year.be_year - 1)
        .select_related("fiscal_year")
        .first()
    )
    if previous is None:
        raise ValidationError(_("%(unit)s has no agreement for the previous year to copy.") % {"unit": unit})
    _lock_year_creations(fiscal_year)
    if Agreement.objects.filter(unit=unit, fiscal_year=fiscal_year).exists():
        raise ValidationError(
            _("%(unit)s already has an agreement for %(year)s.") % {"unit": unit, "year": fiscal_year}
        )
    dimensions = list(fiscal_year.dimensions.all())
    if not dimensions:
        raise ValidationError(
            _("Set up the dimensions of %(year)s's framework first.") % {"year": fiscal_year}
        )
    by_order = {d.order: d for d in dimensions}
    by_name = {d.name_th: d for d in dimensions}
    mandatory = {m.code: m for m in fiscal_year.mandatory_kpis.all()}
    agreement = Agreement.objects.create(
        unit=unit,
        fiscal_year=fiscal_year,
        copied_from=previous,
        **{f: getattr(previous, f) for f in ("vision", "mission", "strategic_issues", "goals", "strategies")},
    )
    ancestor_paths = [unit.path[:n] for n in range(Unit.steplen, len(unit.path), Unit.steplen)]
    ancestors = {u.path: u for u in Unit.objects.filter(path__in=ancestor_paths).select_related("head")}
    parties = default_parties(unit, ancestors, {r.unit_type_id: r for r in SigningRule.objects.all()})
    for party in parties:
        party.agreement = agreement
    bulk_create_with_history(parties, Party)
    copies = {}
    for old in outline(previous.kpis.select_related("dimension", "mandatory")):
        dimension = by_name.get(old.dimension.name_th) or by_order.get(old.dimension.order) or dimensions[0]
        copies[old.pk] = KPI.objects.create(
            agreement=agreement,
            dimension=dimension,
            parent=copies.get(old.parent_id),
            order=old.order,
            weight=old.weight,
            supervisor_id=old.supervisor_id,
            collector_id=old.collector_id,
            mandatory=mandatory.get(old.mandatory.code) if old.mandatory else None,
            **dict(
                old.template_values(), baseline=shift_baseline(old.baseline, previous.fiscal_year.be_year)
            ),
        )
    return agreement

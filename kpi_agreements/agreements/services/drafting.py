"""Creating the year's agreements, copying last year's, and editing an agreement's parties and plan."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from kpi_agreements.agreements.models import KPI, Agreement, Party, SigningRule
from kpi_agreements.agreements.selectors import mandatory_outline, mandatory_weights, outline, party_problems
from kpi_agreements.agreements.services.kpis import (
    check_editable,
    insert_history,
    kpis_bulk_save,
    kpis_create_many,
)
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.models import Role, Unit

# Who opens the year's agreements (and copies last year's): planning staff and administrators of the units.
AGREEMENT_CREATORS = (Role.PLANNING, Role.ADMIN)

# --- creating the year's agreements ------------------------------------------------------------------


def _nearest(unit: Unit, unit_type_id, ancestors: dict[str, Unit]) -> Unit | None:
    """The nearest unit above ``unit`` of the given type (or the parent when no type is given)."""
    paths = reversed(unit.ancestor_paths())
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


def _lock_year_creations(fiscal_year) -> None:
    """Creating agreements of a year takes turns: two people pressing "create" at once make one agreement
    per unit, and the second learns that it exists instead of meeting the unique constraint."""
    FiscalYear.objects.select_for_update().filter(pk=fiscal_year.pk).first()


# Units per transaction: a long run shows its progress between them (a background job's page reads it), and
# stopping halfway keeps what was made; running it again makes only what is missing.
CREATE_BATCH = 250


class _Framework:
    """What every new agreement of the year starts from, read once: the mandatory KPIs in reading order, the
    weights each unit type gets, the signing rules."""

    def __init__(self, fiscal_year):
        # In reading order (codes sorted naturally, parents before their sub-KPIs), which is the order kept.
        self.mandatory = mandatory_outline(
            fiscal_year.mandatory_kpis.select_related("dimension").prefetch_related("unit_types", "rules_out")
        )
        self.rules = {r.unit_type_id: r for r in SigningRule.objects.all()}
        self._weights: dict = {}

    def weights(self, unit_type_id) -> dict:
        if unit_type_id not in self._weights:
            self._weights[unit_type_id] = mandatory_weights(self.mandatory, unit_type_id)
        return self._weights[unit_type_id]

    def kpis(self, agreement: Agreement, unit_type_id) -> list[KPI]:
        """The agreement's copies of the mandatory KPIs that apply to its unit's type, with their weights."""
        weights = self.weights(unit_type_id)
        copies: dict = {}
        for i, m in enumerate(self.mandatory):
            if m.pk in weights:
                # The framework's nesting is kept (1.1 under 1); a parent's weight is its sub-KPIs' sum.
                copies[m.pk] = KPI(
                    agreement=agreement,
                    dimension_id=m.dimension_id,
                    parent=copies.get(m.parent_id),
                    mandatory=m,
                    order=i,
                    weight=None if any(c.pk in weights for c in m.child_list) else weights[m.pk],
                    **m.template_values(),
                )
        return list(copies.values())


def agreements_create(*, fiscal_year, units, user=None, progress=None) -> list[Agreement]:
    """One draft per unit that has none yet in the year, pre-filled with the mandatory KPIs that apply to its
    type and the parties by the signing rules; the created agreements, in tree order.

    Written in bulk with their history (by ``user``), ``CREATE_BATCH`` units per transaction;
    ``progress(done, total)`` is told after each. Units that already have an agreement are left alone, so
    running it again (a retried job) creates nothing twice.
    """
    pks = list(
        Unit.objects.filter(pk__in=[u.pk for u in units]).order_by("path").values_list("pk", flat=True)
    )
    framework = _Framework(fiscal_year)
    created = []
    if progress:
        progress(0, len(pks))
    for start in range(0, len(pks), CREATE_BATCH):
        created += _create_batch(fiscal_year, pks[start : start + CREATE_BATCH], framework, user)
        if progress:
            progress(min(start + CREATE_BATCH, len(pks)), len(pks))
    return created


@transaction.atomic
def _create_batch(fiscal_year, unit_pks: list[int], framework: _Framework, user) -> list[Agreement]:
    _lock_year_creations(fiscal_year)
    # Read the units afresh: the parties come from their heads as they are now, not as the caller saw them.
    units = list(
        Unit.objects.filter(pk__in=unit_pks)
        .exclude(agreements__fiscal_year=fiscal_year)
        .select_related("head")
        .order_by("path")
    )
    if not units:
        return []
    ancestor_paths = {path for u in units for path in u.ancestor_paths()}
    ancestors = {u.path: u for u in Unit.objects.filter(path__in=ancestor_paths).select_related("head")}
    agreements = Agreement.objects.bulk_create(
        [Agreement(unit=unit, fiscal_year=fiscal_year) for unit in units]
    )
    insert_history(Agreement, [a.pk for a in agreements], reason="", user=user)
    parties = []
    for unit, agreement in zip(units, agreements, strict=True):
        for party in default_parties(unit, ancestors, framework.rules):
            party.agreement = agreement
            parties.append(party)
    Party.objects.bulk_create(parties)
    insert_history(Party, [p.pk for p in parties], reason="", user=user)
    new = [
        kpi for unit, a in zip(units, agreements, strict=True) for kpi in framework.kpis(a, unit.unit_type_id)
    ]
    kpis_create_many(kpis=new, reason="mandatory KPI", user=user)
    return agreements


@transaction.atomic
def agreement_update(*, agreement: Agreement, **fields) -> Agreement:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    check_editable(agreement)
    for name, value in fields.items():
        setattr(agreement, name, value)
    agreement.save()
    return agreement


def signing_rule_parties(agreement: Agreement) -> dict[str, int | None]:
    """Who the signing rules name for each role today: the person each party defaults to."""
    unit = agreement.unit
    ancestor_paths = unit.ancestor_paths()
    ancestors = {u.path: u for u in Unit.objects.filter(path__in=ancestor_paths).select_related("head")}
    rules = {r.unit_type_id: r for r in SigningRule.objects.filter(unit_type=unit.unit_type_id)}
    return {p.role: p.person_id for p in default_parties(unit, ancestors, rules)}


@transaction.atomic
def parties_save(*, agreement: Agreement, formset, user) -> None:
    """Save the parties' formset; a party's position defaults to the person's current position.

    An editor may correct the parties (an acting head, a vacancy), but never put himself on the other side:
    the recipient and co-signer he may name are the signing rules' people or someone else (§5).
    """
    check_editable(Agreement.objects.select_for_update().get(pk=agreement.pk))
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
    ancestor_paths = unit.ancestor_paths()
    ancestors = {u.path: u for u in Unit.objects.filter(path__in=ancestor_paths).select_related("head")}
    parties = default_parties(unit, ancestors, {r.unit_type_id: r for r in SigningRule.objects.all()})
    for party in parties:
        party.agreement = agreement
    bulk_create_with_history(parties, Party)
    copies = {}
    for old in outline(previous.kpis.select_related("dimension", "mandatory")):
        dimension = by_name.get(old.dimension.name_th) or by_order.get(old.dimension.order) or dimensions[0]
        copies[old.pk] = KPI(
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
    kpis_bulk_save(agreement=agreement, new=copies.values(), reason="copied from last year")
    return agreement

"""Writes to a fiscal year's evaluation framework (DOMAIN §4) and the signing rules (§5).

Each service owns its transaction and refuses bad input with a ValidationError keyed by the form field at
fault. Errors about one row of a table (a dimension, a unit type's signing rule) carry the row's key in
``params`` so the view can put the message on that row.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpi_agreements.agreements.models import KPI, Dimension, MandatoryKPI, RedistributionRule, SigningRule
from kpi_agreements.agreements.selectors import format_weight, mandatory_outline
from kpi_agreements.agreements.services.drafting import shift_baseline
from kpi_agreements.criteria.validation import check_criteria, check_weight
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.models import UnitType

HUNDRED = Decimal(100)


def _lock_year(fiscal_year: FiscalYear) -> FiscalYear:
    """Serialise framework edits of one year, so checks across rows (sums, codes) hold when saved."""
    return FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)


def dimensions_total(fiscal_year: FiscalYear) -> Decimal:
    return fiscal_year.dimensions.aggregate(total=Sum("weight"))["total"] or Decimal(0)


# --- dimensions --------------------------------------------------------------------------------------


@transaction.atomic
def dimensions_save(
    *, fiscal_year: FiscalYear, dimensions: list[Dimension], deleted: list[Dimension] = ()
) -> Decimal:
    """Save the year's dimensions as one table; returns the total weight.

    An unbalanced total (not 100) is allowed while the framework is being drafted; the page warns.
    A dimension that mandatory KPIs or agreements' KPIs use cannot be deleted: they would lose their place.
    """
    _lock_year(fiscal_year)
    for dimension in [*dimensions, *deleted]:
        if dimension.pk is not None and dimension.fiscal_year_id != fiscal_year.pk:
            raise ValidationError(_("This dimension belongs to another fiscal year."))
    for dimension in dimensions:
        dimension.weight = check_weight(dimension.weight)
    in_use = [
        ValidationError(
            _("Dimension %(name)s holds mandatory KPIs or agreements' KPIs; move them first."),
            code="in_use",
            params={"name": d.name_th, "dimension": d.pk},
        )
        for d in deleted
        if d.pk is not None and (d.mandatory_kpis.exists() or d.kpis.exists())
    ]
    if in_use:
        raise ValidationError({"DELETE": in_use})
    for dimension in deleted:
        if dimension.pk is not None:
            dimension.delete()
    for dimension in dimensions:
        dimension.fiscal_year = fiscal_year
        dimension.save()
    return dimensions_total(fiscal_year)


# --- mandatory KPIs ----------------------------------------------------------------------------------


def _rules_out_total(mandatory: MandatoryKPI) -> Decimal:
    rules = mandatory.rules_out.exclude(amount=None)
    return rules.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def _subtree(mandatory: MandatoryKPI) -> set[int]:
    """The KPI's id and its sub-KPIs' at every depth."""
    ids, frontier = {mandatory.pk}, [mandatory.pk]
    while frontier:
        frontier = list(MandatoryKPI.objects.filter(parent__in=frontier).values_list("pk", flat=True))
        ids.update(frontier)
    return ids


def _check_rules_fit(mandatory: MandatoryKPI, weight: Decimal, field: str = "weight") -> None:
    moved = _rules_out_total(mandatory)
    if moved > weight:
        raise ValidationError(
            {
                field: _(
                    "The redistribution rules move %(moved)s of the weight of KPI %(code)s; "
                    "its weight cannot be less."
                )
                % {"moved": format_weight(moved), "code": mandatory.code}
            }
        )


def _sum_up(parent: MandatoryKPI | None) -> None:
    """A parent's weight is the sum of its sub-KPIs' (DOMAIN §4), up to the top."""
    while parent is not None:
        total = parent.children.aggregate(total=Sum("weight"))["total"]
        if total is not None and total != parent.weight:
            _check_rules_fit(parent, total)
            parent.weight = total
            parent.save(update_fields=["weight"])
        parent = parent.parent


@transaction.atomic
def mandatory_kpi_save(
    *, fiscal_year: FiscalYear, mandatory: MandatoryKPI | None = None, unit_types=(), **fields
) -> MandatoryKPI:
    """Create (``mandatory`` None) or change a mandatory KPI with its template, criteria and unit types.

    No unit types means the KPI applies to every unit type. Agreements already created keep their copy.
    A ``parent`` makes it a sub-KPI (DOMAIN §4: "1 (20) = 1.1 (13) + 1.2 (5) + 1.3 (2)"): it takes the
    parent's dimension and a code under the parent's, and the parent's weight becomes the sum of its
    sub-KPIs' (a weight given for a KPI that has sub-KPIs is ignored).
    """
    _lock_year(fiscal_year)
    mandatory = mandatory or MandatoryKPI(fiscal_year=fiscal_year)
    if mandatory.fiscal_year_id != fiscal_year.pk:
        raise ValidationError(_("This mandatory KPI belongs to another fiscal year."))
    old_parent = mandatory.parent if mandatory.parent_id else None
    parent = fields["parent"] if "parent" in fields else old_parent
    code = (fields.get("code") or "").strip()
    fields["code"] = code
    if parent is not None:
        if parent.fiscal_year_id != fiscal_year.pk:
            raise ValidationError(
                {"parent": _("Choose a mandatory KPI of %(year)s.") % {"year": fiscal_year}}
            )
        if mandatory.pk is not None and parent.pk in _subtree(mandatory):
            raise ValidationError({"parent": _("A KPI cannot be part of itself or of its own sub-KPIs.")})
        if _last_part(code, parent.code) is None:
            raise ValidationError(
                {
                    "code": _("A sub-KPI of %(parent)s is numbered %(parent)s.1, %(parent)s.2 …")
                    % {"parent": parent.code}
                }
            )
        fields["dimension"] = parent.dimension  # a sub-KPI belongs to its parent's dimension
    fields["parent"] = parent
    dimension = fields.get("dimension")
    if dimension is None or dimension.fiscal_year_id != fiscal_year.pk:
        raise ValidationError({"dimension": _("Choose a dimension of %(year)s.") % {"year": fiscal_year}})
    if fiscal_year.mandatory_kpis.filter(code=code).exclude(pk=mandatory.pk).exists():
        raise ValidationError(
            {
                "code": _("%(year)s already has a mandatory KPI %(code)s.")
                % {"year": fiscal_year, "code": code}
            }
        )
    children = mandatory.children.aggregate(total=Sum("weight"))["total"] if mandatory.pk else None
    if children is not None:
        fields["weight"] = children
    weight = fields["weight"] = check_weight(fields.get("weight"))
    if mandatory.pk is not None:
        _check_rules_fit(mandatory, weight)
    if "criteria" in fields:
        check_criteria(fields.get("method", mandatory.method), fields["criteria"])
    for name, value in fields.items():
        setattr(mandatory, name, value)
    mandatory.save()
    mandatory.unit_types.set(unit_types)
    if mandatory.pk is not None and children is not None:
        # Its sub-KPIs follow it into another dimension.
        for sub in MandatoryKPI.objects.filter(pk__in=_subtree(mandatory)).exclude(dimension=dimension):
            sub.dimension = dimension
            sub.save(update_fields=["dimension"])
    _sum_up(parent)
    if old_parent is not None and old_parent.pk != getattr(parent, "pk", None):
        _sum_up(MandatoryKPI.objects.get(pk=old_parent.pk))
    return mandatory


def _last_part(code: str, parent_code: str) -> int | None:
    """n for a code parent_code.n, else None."""
    rest = code[len(parent_code) + 1 :] if code.startswith(f"{parent_code}.") else ""
    return int(rest) if rest.isdigit() else None


@transaction.atomic
def mandatory_kpi_delete(*, mandatory: MandatoryKPI) -> None:
    """Refused while agreements carry a KPI made from it or from one of its sub-KPIs: they would silently stop
    being mandatory. Its sub-KPIs and their redistribution rules go with it; its parent's weight follows.
    """
    _lock_year(mandatory.fiscal_year)
    used = KPI.objects.filter(mandatory__in=_subtree(mandatory)).values("agreement_id").distinct().count()
    if used:
        raise ValidationError(
            ngettext(
                "%(count)s agreement carries KPI %(code)s; remove it from there before deleting it here.",
                "%(count)s agreements carry KPI %(code)s; remove it from them before deleting it here.",
                used,
            )
            % {"count": used, "code": mandatory.code}
        )
    parent = mandatory.parent
    mandatory.delete()  # its sub-KPIs and every rule from or to them go with it
    _sum_up(parent)


# --- redistribution rules ----------------------------------------------------------------------------


@transaction.atomic
def redistribution_rule_add(
    *, fiscal_year: FiscalYear, source: MandatoryKPI, target: MandatoryKPI, amount: Decimal | None = None
) -> RedistributionRule:
    """A rule "if a unit has no KPI <source>, <amount> of its weight goes to <target>" (DOMAIN §4).

    The rules of one source may together move at most its weight; a rule without an amount moves all of
    it, so it must be the source's only rule (otherwise the order of the rules would decide the result).
    """
    _lock_year(fiscal_year)
    if source.fiscal_year_id != fiscal_year.pk:
        raise ValidationError({"source": _("Choose a mandatory KPI of %(year)s.") % {"year": fiscal_year}})
    if target.fiscal_year_id != fiscal_year.pk:
        raise ValidationError({"target": _("Choose a mandatory KPI of %(year)s.") % {"year": fiscal_year}})
    if source.pk == target.pk:
        raise ValidationError({"target": _("The weight must go to another KPI.")})
    if target.pk in _subtree(source):
        raise ValidationError(
            {"target": _("The weight must go outside %(source)s and its sub-KPIs.") % {"source": source.code}}
        )
    if target.dimension_id != source.dimension_id:
        # DOMAIN §4: dimension weights never move by redistribution.
        raise ValidationError(
            {
                "target": _(
                    "Dimension weights never move: the weight of %(source)s goes to a KPI of its own "
                    "dimension, %(dimension)s."
                )
                % {"source": source.code, "dimension": source.dimension.name_th}
            }
        )
    if source.rules_out.filter(target=target).exists():
        raise ValidationError(
            {
                "target": _("A rule from %(source)s to %(target)s already exists.")
                % {"source": source.code, "target": target.code}
            }
        )
    existing = list(source.rules_out.all())
    if any(rule.amount is None for rule in existing):
        raise ValidationError(
            {
                "amount": _(
                    "A rule already moves all of the weight of %(source)s; "
                    "remove it or give it an amount first."
                )
                % {"source": source.code}
            }
        )
    if amount is None:
        if existing:
            raise ValidationError(
                {
                    "amount": _("%(source)s already has rules with amounts; give this rule an amount too.")
                    % {"source": source.code}
                }
            )
    else:
        if amount <= 0:
            raise ValidationError({"amount": _("The amount must be above zero.")})
        moved = _rules_out_total(source) + amount
        if moved > source.weight:
            raise ValidationError(
                {
                    "amount": _("KPI %(source)s weighs %(weight)s; its rules would move %(moved)s.")
                    % {
                        "source": source.code,
                        "weight": format_weight(source.weight),
                        "moved": format_weight(moved),
                    }
                }
            )
    return RedistributionRule.objects.create(
        fiscal_year=fiscal_year, source=source, target=target, amount=amount
    )


@transaction.atomic
def redistribution_rule_remove(*, rule: RedistributionRule) -> None:
    rule.delete()


# --- copying the framework ---------------------------------------------------------------------------


@transaction.atomic
def framework_copy_previous(*, fiscal_year: FiscalYear) -> None:
    """Copy dimensions, mandatory KPIs (with unit types) and rules from the year before, in one go."""
    fiscal_year = _lock_year(fiscal_year)
    if fiscal_year.dimensions.exists():
        raise ValidationError(
            _("%(year)s already has dimensions; the framework is copied only into an empty year.")
            % {"year": fiscal_year}
        )
    previous = FiscalYear.objects.filter(be_year=fiscal_year.be_year - 1).first()
    if previous is None or not previous.dimensions.exists():
        raise ValidationError(_("FY %(year)s has no framework to copy.") % {"year": fiscal_year.be_year - 1})
    dimensions = {}
    for old in previous.dimensions.all():
        dimensions[old.pk] = Dimension.objects.create(
            fiscal_year=fiscal_year,
            order=old.order,
            name_th=old.name_th,
            name_en=old.name_en,
            weight=old.weight,
        )
    mandatory = {}
    # Parents first, so each sub-KPI finds its parent's copy.
    previous_kpis = previous.mandatory_kpis.select_related("dimension").prefetch_related("unit_types")
    for old in mandatory_outline(previous_kpis):
        values = old.template_values()
        if values["baseline"]:
            values["baseline"] = shift_baseline(values["baseline"], previous.be_year)
        new = MandatoryKPI.objects.create(
            fiscal_year=fiscal_year,
            dimension=dimensions[old.dimension_id],
            parent=mandatory.get(old.parent_id),
            code=old.code,
            weight=old.weight,
            **values,
        )
        new.unit_types.set(old.unit_types.all())
        mandatory[old.pk] = new
    for rule in previous.redistribution_rules.all():
        RedistributionRule.objects.create(
            fiscal_year=fiscal_year,
            source=mandatory[rule.source_id],
            target=mandatory[rule.target_id],
            amount=rule.amount,
        )


# --- signing rules -----------------------------------------------------------------------------------


@transaction.atomic
def signing_rules_save(*, rows: list[tuple[UnitType, UnitType | None, UnitType | None]]) -> None:
    """Per unit type: (unit type, recipient type, co-signer type). Both blank = the default rule
    (the head of the parent unit, no co-signer), stored as no row at all.
    """
    for unit_type, recipient_type, co_signer_type in rows:
        if co_signer_type is not None and co_signer_type == recipient_type:
            raise ValidationError(
                {
                    "co_signer_type": ValidationError(
                        _("The co-signer must head a unit of another type than the recipient."),
                        params={"unit_type": unit_type.pk},
                    )
                }
            )
    for unit_type, recipient_type, co_signer_type in rows:
        if recipient_type is None and co_signer_type is None:
            SigningRule.objects.filter(unit_type=unit_type).delete()
            continue
        rule = SigningRule.objects.filter(unit_type=unit_type).first() or SigningRule(unit_type=unit_type)
        if rule.pk and (rule.recipient_type_id, rule.co_signer_type_id) == (
            getattr(recipient_type, "pk", None),
            getattr(co_signer_type, "pk", None),
        ):
            continue  # unchanged: no history row
        rule.recipient_type = recipient_type
        rule.co_signer_type = co_signer_type
        rule.save()

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
from kpi_agreements.agreements.selectors import format_weight
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


@transaction.atomic
def mandatory_kpi_save(
    *, fiscal_year: FiscalYear, mandatory: MandatoryKPI | None = None, unit_types=(), **fields
) -> MandatoryKPI:
    """Create (``mandatory`` None) or change a mandatory KPI with its template, criteria and unit types.

    No unit types means the KPI applies to every unit type. Agreements already created keep their copy.
    """
    _lock_year(fiscal_year)
    mandatory = mandatory or MandatoryKPI(fiscal_year=fiscal_year)
    if mandatory.fiscal_year_id != fiscal_year.pk:
        raise ValidationError(_("This mandatory KPI belongs to another fiscal year."))
    dimension = fields.get("dimension")
    if dimension is None or dimension.fiscal_year_id != fiscal_year.pk:
        raise ValidationError({"dimension": _("Choose a dimension of %(year)s.") % {"year": fiscal_year}})
    code = (fields.get("code") or "").strip()
    fields["code"] = code
    if fiscal_year.mandatory_kpis.filter(code=code).exclude(pk=mandatory.pk).exists():
        raise ValidationError(
            {
                "code": _("%(year)s already has a mandatory KPI %(code)s.")
                % {"year": fiscal_year, "code": code}
            }
        )
    weight = fields["weight"] = check_weight(fields.get("weight"))
    if mandatory.pk is not None:
        moved = _rules_out_total(mandatory)
        if moved > weight:
            raise ValidationError(
                {
                    "weight": _(
                        "The redistribution rules move %(moved)s of this KPI's weight; "
                        "the weight cannot be less."
                    )
                    % {"moved": format_weight(moved)}
                }
            )
    if "criteria" in fields:
        check_criteria(fields.get("method", mandatory.method), fields["criteria"])
    for name, value in fields.items():
        setattr(mandatory, name, value)
    mandatory.save()
    mandatory.unit_types.set(unit_types)
    return mandatory


@transaction.atomic
def mandatory_kpi_delete(*, mandatory: MandatoryKPI) -> None:
    """Refused while agreements carry a KPI made from it: they would silently stop being mandatory.

    Its redistribution rules go with it.
    """
    _lock_year(mandatory.fiscal_year)
    used = KPI.objects.filter(mandatory=mandatory).values("agreement_id").distinct().count()
    if used:
        raise ValidationError(
            ngettext(
                "%(count)s agreement carries KPI %(code)s; remove it from there before deleting it here.",
                "%(count)s agreements carry KPI %(code)s; remove it from them before deleting it here.",
                used,
            )
            % {"count": used, "code": mandatory.code}
        )
    mandatory.delete()


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
    for old in previous.mandatory_kpis.prefetch_related("unit_types"):
        values = old.template_values()
        if values["baseline"]:
            values["baseline"] = shift_baseline(values["baseline"], previous.be_year)
        new = MandatoryKPI.objects.create(
            fiscal_year=fiscal_year,
            dimension=dimensions[old.dimension_id],
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

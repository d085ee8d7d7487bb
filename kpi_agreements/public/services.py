"""Publishing and withdrawing (DOMAIN §12). Each change writes its PublicationEvent in the same transaction:
the audit row, and the new publication state under which the public pages are cached afresh."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kpi_agreements.agreements.models import Agreement
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.models import Unit

from .models import PublicationEvent, UnitPublication, YearPublication

Action = PublicationEvent.Action


def _event(fiscal_year: FiscalYear, action: str, user, unit: Unit | None = None) -> None:
    PublicationEvent.objects.create(fiscal_year=fiscal_year, unit=unit, action=action, actor=user)


def year_set(*, fiscal_year: FiscalYear, user, published: bool | None = None, totals: bool | None = None):
    """Switch the year's publication and its verified-totals policy; an unchanged switch writes nothing."""
    with transaction.atomic():
        publication, _created = YearPublication.objects.select_for_update().get_or_create(
            fiscal_year=fiscal_year
        )
        if published is not None and publication.is_published != published:
            publication.is_published = published
            _event(fiscal_year, Action.YEAR_PUBLISHED if published else Action.YEAR_WITHDRAWN, user)
        if totals is not None and publication.verified_totals != totals:
            publication.verified_totals = totals
            _event(fiscal_year, Action.TOTALS_PUBLISHED if totals else Action.TOTALS_WITHDRAWN, user)
        publication.save()
    return publication


def unit_publish(*, fiscal_year: FiscalYear, unit: Unit, user) -> UnitPublication:
    """Announce the unit's agreement of the year: only a signed agreement is ever public."""
    if not Agreement.objects.filter(
        fiscal_year=fiscal_year, unit=unit, status=Agreement.Status.SIGNED
    ).exists():
        raise ValidationError(
            _("%(unit)s has no signed agreement for %(year)s: only a signed agreement is published.")
            % {"unit": unit.name_th, "year": fiscal_year}
        )
    with transaction.atomic():
        publication, created = UnitPublication.objects.get_or_create(
            fiscal_year=fiscal_year, unit=unit, defaults={"published_by": user}
        )
        if created:
            _event(fiscal_year, Action.UNIT_PUBLISHED, user, unit)
    return publication


def unit_withdraw(*, fiscal_year: FiscalYear, unit: Unit, user) -> None:
    with transaction.atomic():
        deleted, _rows = UnitPublication.objects.filter(fiscal_year=fiscal_year, unit=unit).delete()
        if deleted:
            _event(fiscal_year, Action.UNIT_WITHDRAWN, user, unit)


def units_publish_all(*, fiscal_year: FiscalYear, units, user) -> int:
    """Announce every signed agreement of the year among ``units`` (the user's scope) not yet announced."""
    with transaction.atomic():
        done = set(UnitPublication.objects.filter(fiscal_year=fiscal_year).values_list("unit_id", flat=True))
        ids = [
            pk
            for pk in Agreement.objects.filter(
                fiscal_year=fiscal_year, status=Agreement.Status.SIGNED, unit__in=units
            ).values_list("unit_id", flat=True)
            if pk not in done
        ]
        UnitPublication.objects.bulk_create(
            [UnitPublication(fiscal_year=fiscal_year, unit_id=pk, published_by=user) for pk in ids]
        )
        PublicationEvent.objects.bulk_create(
            [
                PublicationEvent(
                    fiscal_year=fiscal_year, unit_id=pk, action=Action.UNIT_PUBLISHED, actor=user
                )
                for pk in ids
            ]
        )
    return len(ids)

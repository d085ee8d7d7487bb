"""A signed agreement changes only through an approved change request (DOMAIN §5), by any path.

Forms and services already refuse; this guard also stops the admin, imports and scripts, because it sits on
the models' own save and delete. The change-request service opens ``amending(agreement)`` to apply an
approved request.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from kpi_agreements.agreements.models import KPI, Agreement, Party

_amending: ContextVar[frozenset] = ContextVar("amending", default=frozenset())
CONTENT_FIELDS = ("vision", "mission", "strategic_issues", "goals", "strategies", "unit_id", "fiscal_year_id")


@contextmanager
def amending(agreement: Agreement):
    token = _amending.set(_amending.get() | {agreement.pk})
    try:
        yield
    finally:
        _amending.reset(token)


def _refuse_if_locked(agreement_id) -> None:
    if agreement_id in _amending.get():
        return
    if Agreement.objects.filter(pk=agreement_id, status=Agreement.Status.SIGNED).exists():
        raise ValidationError(
            _("This agreement is signed and locked; it changes only through an approved change request.")
        )


@receiver(pre_save, sender=KPI)
@receiver(pre_delete, sender=KPI)
def kpi_guard(sender, instance, **kwargs):
    _refuse_if_locked(instance.agreement_id)


@receiver(pre_save, sender=Party)
@receiver(pre_delete, sender=Party)
def party_guard(sender, instance, **kwargs):
    _refuse_if_locked(instance.agreement_id)


@receiver(pre_save, sender=Agreement)
def agreement_guard(sender, instance, **kwargs):
    if instance.pk is None or instance.pk in _amending.get():
        return
    stored = (
        Agreement.objects.filter(pk=instance.pk, status=Agreement.Status.SIGNED)
        .values(*CONTENT_FIELDS)
        .first()
    )
    if stored and any(stored[f] != getattr(instance, f) for f in CONTENT_FIELDS):
        _refuse_if_locked(instance.pk)

"""What services call to check criteria and weights: the engine's rules, its messages as field errors.

Services import this module, never a form: a rule broken through any path (form, Excel, a script) gets
the same message on the same field.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from kpi_agreements import scoring
from kpi_agreements.scoring import MESSAGES, ScoringError


def scoring_message(exc: ScoringError) -> str:
    """The engine's message in the user's language (the engine marks its catalogue for makemessages)."""
    return gettext(MESSAGES.get(exc.code, exc.code)).format(**exc.params)


def check_weight(value, field: str = "weight") -> Decimal:
    """Services' check of a weight (DOMAIN §4, the engine's one rule): the value with 4 places, or the
    engine's message as an error on ``field``."""
    try:
        return scoring.validate_weight(value, field)
    except ScoringError as exc:
        raise ValidationError({field: scoring_message(exc)}) from exc


def check_criteria(method: str, criteria) -> None:
    """Services' last check before storing criteria: the engine's message, as an error on ``criteria``."""
    try:
        scoring.validate_criteria(method, criteria)
    except ScoringError as exc:
        raise ValidationError({"criteria": scoring_message(exc)}) from exc

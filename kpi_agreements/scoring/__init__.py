"""Scoring rules of performance agreements (DOMAIN §3, §4, §7, §8): pure Python, standard library only.

The Django app calls this package; nothing here imports Django. See docs/scoring.md.
"""

from .card import DimensionScore, KPIScore, RoundCard, round_card
from .deadlines import effective_deadline, is_working_day, late_penalty, working_days_late
from .errors import MESSAGES, ScoringError
from .flags import EXTERNAL_OBSTACLES, FAR_FROM_TARGET, FLAGS, MISSING_REPORT, site_visit_flags
from .methods import (
    METHODS,
    parsed_criteria,
    required_result,
    score,
    score_many,
    validate_criteria,
    validate_result,
)
from .numbers import to_decimal
from .policy import ScoringPolicy
from .rollup import (
    agreement_score,
    combine,
    incentive_eligible,
    redistribute_weights,
    validate_weight,
    weighted_score,
)

__all__ = [
    "DimensionScore",
    "EXTERNAL_OBSTACLES",
    "FAR_FROM_TARGET",
    "FLAGS",
    "KPIScore",
    "MESSAGES",
    "METHODS",
    "MISSING_REPORT",
    "RoundCard",
    "ScoringError",
    "ScoringPolicy",
    "agreement_score",
    "combine",
    "effective_deadline",
    "incentive_eligible",
    "is_working_day",
    "late_penalty",
    "redistribute_weights",
    "required_result",
    "round_card",
    "parsed_criteria",
    "score",
    "score_many",
    "site_visit_flags",
    "to_decimal",
    "validate_criteria",
    "validate_result",
    "validate_weight",
    "weighted_score",
    "working_days_late",
]

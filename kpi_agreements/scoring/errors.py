"""The one exception type of the scoring package, and its message catalogue.

Every error carries a stable ``code``, the ``params`` its message needs and the ``field`` it belongs to,
so the Django layer can show a translated (Thai) message next to the right form field: look ``code`` up
in its own gettext catalogue and format it with ``params``. ``MESSAGES`` holds the English defaults.
"""


def gettext_noop(message: str) -> str:
    """Marks a message for the Django layer's gettext catalogue (makemessages finds it); returns it as is."""
    return message


MESSAGES: dict[str, str] = {
    # input values
    "required": gettext_noop("The value '{name}' is missing."),
    "not_a_number": gettext_noop("'{value}' is not a number."),
    "not_finite": gettext_noop("'{value}' is not a usable number."),
    "exponent_not_allowed": gettext_noop(
        "'{value}' is written with an exponent (e or E); write the number out in full, e.g. 1500000."
    ),
    "too_many_digits": gettext_noop(
        "'{value}' has too many digits: use at most {max} significant digits "
        "and at most {max} decimal places."
    ),
    "too_large": gettext_noop(
        "'{value}' is too large: a number here must be smaller than {limit} and greater than -{limit}."
    ),
    "float_not_allowed": gettext_noop(
        "{value} was given as a floating-point number; give it as text or a Decimal so it stays exact."
    ),
    "bool_not_allowed": gettext_noop("A number is needed here, not yes/no ({value})."),
    "not_an_integer": gettext_noop("'{value}' must be a whole number."),
    "not_a_bool": gettext_noop("Answer yes or no here (got '{value}')."),
    "not_a_list": gettext_noop("A list of values is needed here."),
    "not_a_mapping": gettext_noop("A record of named values is needed here."),
    "blank_text": gettext_noop("This text cannot be blank."),
    "not_a_date": gettext_noop("'{value}' is not a date."),
    # criteria and results
    "unknown_method": gettext_noop("'{value}' is not a scoring method; use one of: {choices}."),
    "thresholds_count": gettext_noop(
        "Give exactly 5 threshold values, one for each level 1 to 5 (got {count})."
    ),
    "thresholds_not_monotone": gettext_noop(
        "The 5 threshold values must go steadily up (a higher result is better) or steadily down "
        "(a lower result is better), with no two values equal."
    ),
    "direction_mismatch": gettext_noop(
        "The threshold values go {actual}, but the KPI says a {expected} result is better."
    ),
    "bad_direction": gettext_noop("The direction must be 'higher' or 'lower' (got '{value}')."),
    "level_range": gettext_noop("The level must be a whole number from 1 to 5 (got {value})."),
    "levels_count": gettext_noop("Give a description for each of the 5 levels (got {count})."),
    "measures_empty": gettext_noop("Add at least one measure."),
    "actuals_count": gettext_noop("Give one result for each of the {expected} measures (got {count})."),
    "milestone_levels_count": gettext_noop("Give the steps of each of the 5 levels (got {count} levels)."),
    "milestone_level_empty": gettext_noop("Level {level} has no steps; every level needs at least one step."),
    "milestone_shape": gettext_noop(
        "Mark each of the {expected} steps of level {level} as done or not (got {count})."
    ),
    # weights, scores and roll-up
    "negative_weight": gettext_noop("A weight cannot be negative (got {value})."),
    "weight_range": gettext_noop("A weight must be greater than 0 and at most 100 (got {value})."),
    "weight_places": gettext_noop("A weight may have at most 4 decimal places (got {value})."),
    "zero_total_weight": gettext_noop("The weights add up to zero; at least one weight must be above zero."),
    "empty": gettext_noop("There is nothing to combine: no KPI scores were given."),
    "score_range": gettext_noop("A score must be between 0 and 5 (got {value})."),
    "negative_penalty": gettext_noop("A penalty cannot be negative (got {value})."),
    "unknown_kpi": gettext_noop("KPI '{key}' is not among the weighted KPIs."),
    "rule_exceeds_weight": gettext_noop(
        "The rules for KPI '{key}' move {moved} of weight, but it only has {weight}."
    ),
    "no_kpi_left": gettext_noop(
        "No KPI with weight is left to take over the weight {weight} of the dropped KPIs."
    ),
    # the round card
    "duplicate_kpi": gettext_noop("KPI '{key}' appears more than once."),
    "unknown_parent": gettext_noop(
        "KPI '{key}' names '{parent}' as its parent KPI, but there is no such KPI."
    ),
    "parent_cycle": gettext_noop("KPI '{key}' is a sub-KPI of itself, directly or through other KPIs."),
    "method_required": gettext_noop("KPI '{key}' has no sub-KPIs, so it needs a scoring method."),
    # deadlines and penalties
    "unknown_round": gettext_noop("There is no {value}-month reporting round; use one of: {choices}."),
    "negative_days": gettext_noop("The number of days late cannot be negative (got {value})."),
    # policy
    "bad_interpolation": gettext_noop("Interpolation must be 'linear' or 'step' (got '{value}')."),
    "bad_places": gettext_noop(
        "The number of decimal places must be a whole number from 0 to 10 (got {value})."
    ),
    "bad_floor": gettext_noop("The lowest score must be 0 or 1 (got {value})."),
    "policy_unknown_field": gettext_noop("'{value}' is not a scoring policy setting."),
}


class ScoringError(ValueError):
    """Invalid input to a scoring function.

    ``code``: stable key into ``MESSAGES``; ``params``: values for the message; ``field``: where the bad value
    sits (``"thresholds"``, ``"measures[1].weight"``, ``"actual"``) or ``None``; ``message`` / ``str(error)``:
    the English text.
    """

    def __init__(self, code: str, field: str | None = None, **params):
        self.code = code
        self.field = field
        self.params = params
        template = MESSAGES.get(code, code)
        self.message = template.format(**params)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"ScoringError(code={self.code!r}, field={self.field!r}, params={self.params!r})"

"""Who may see and change the reminders (ADR 0004: one helper per object kind, 404 for the wrong user).

- the year's reminder policy: read by everyone signed in, changed by the managers of a whole organisation,
  like the year's calendar (fiscal.access);
- the runs page and "run again": administrators and planning staff of a whole organisation (a root unit);
- a unit's reminders: whoever reads the unit's page (organisation.access.get_unit_for).
"""

from django.http import Http404

from kpi_agreements.fiscal.access import get_fiscal_year_for
from kpi_agreements.organisation.access import scope_of

from .models import ReminderPolicy


def can_see_runs(user) -> bool:
    return user.is_authenticated and scope_of(user).manages_root()


def check_runs_for(user) -> None:
    if not can_see_runs(user):
        raise Http404


def get_policy_for(user, year_pk, *, need: str = "read") -> ReminderPolicy:
    """The year's policy; an unsaved one with the defaults until it is first saved or used by a run."""
    year = get_fiscal_year_for(user, year_pk, need=need)
    return ReminderPolicy.objects.filter(fiscal_year=year).first() or ReminderPolicy(fiscal_year=year)

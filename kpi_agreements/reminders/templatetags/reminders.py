"""The unit page's reminders: sent and still to come (an inclusion tag, so the unit's view stays as it is)."""

from django import template
from django.utils import timezone

from kpi_agreements.fiscal.models import FiscalYear

from ..models import ReminderLog, ReminderPolicy
from ..schedule import plan
from ..services import logged_keys

register = template.Library()
SHOWN = 20


@register.inclusion_tag("reminders/_unit_reminders.html")
def unit_reminders(unit, today=None):
    """The unit's last reminders and the next one of each kind and person, from today's state."""
    sent = list(ReminderLog.objects.filter(unit=unit).select_related("person")[:SHOWN])
    today = today or timezone.localdate()
    policies = {
        p.fiscal_year_id: p for p in ReminderPolicy.objects.filter(fiscal_year__agreements__unit=unit)
    }
    coming = {}
    for year in FiscalYear.objects.filter(agreements__unit=unit).order_by("be_year"):
        policy = policies.get(year.pk) or ReminderPolicy(fiscal_year=year)
        if not policy.enabled:
            continue
        dues = [d for d in plan(year, policy, today, unit=unit, ahead=True) if d.on >= today]
        done = logged_keys(dues)
        for due in sorted(dues, key=lambda d: (d.on, d.order)):
            if due.key not in done:
                coming.setdefault(due.family, due)  # the next one of each family
    rows = {}
    for due in sorted(coming.values(), key=lambda d: (d.on, d.kind, d.offset)):
        label = ReminderLog.Kind(due.kind).label
        row = rows.setdefault(
            (due.on, due.kind, due.offset, due.url),
            {"on": due.on, "label": label, "text": due.line(due.on), "url": due.url, "people": []},
        )
        row["people"].append(due.person)
    return {"sent": sent, "coming": list(rows.values())[:SHOWN], "today": today}

"""Who is told of each step of a round report, and of a round's opening (notices in the app and by e-mail).

Registered when the app is ready (apps.py), so a worker that never loads the URLs still knows whom to tell.
"""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kpi_agreements.agreements.access import editors
from kpi_agreements.core.thai import be_date
from kpi_agreements.organisation.models import Person, Role
from kpi_agreements.workflow.notify import addresser

from .access import verifiers
from .models import ReportItem, RoundReport


def reporters(report: RoundReport) -> list[Person]:
    """The unit head and planning staff covering the unit, and the collectors and supervisors of its KPIs."""
    named = ReportItem.objects.filter(report=report).values_list("kpi__collector", "kpi__supervisor")
    ids = {pk for pair in named for pk in pair if pk}
    people = Person.objects.filter(
        Q(pk__in=editors(report.agreement, roles=(Role.UNIT_HEAD, Role.PLANNING)).values("pk"))
        | Q(pk__in=ids),
        is_active=True,
    )
    return list(people)


@addresser("reporting.RoundReport")
def address_report_step(transition):
    report = transition.subject
    url = reverse("report_detail", args=[report.pk])
    name = f"{report.agreement.unit.name_th} ({report.round})"
    if transition.action in ("submit", "resubmit"):
        return list(verifiers(report)), _("A report awaits verification: %(name)s") % {"name": name}, url
    if transition.action == "send_back":
        return (
            reporters(report),
            _("More information is asked by %(due)s: %(name)s")
            % {"name": name, "due": be_date(report.return_due)},
            url,
        )
    if transition.action == "verify":
        return reporters(report), _("The report was verified: %(name)s") % {"name": name}, url
    return None


@addresser("reporting.Round")
def address_round_opening(transition):
    round = transition.subject
    # One query for the whole round: the heads of the units and everyone named on a KPI of its reports.
    items = ReportItem.objects.filter(report__round=round)
    people = Person.objects.filter(
        Q(pk__in=items.values("kpi__collector"))
        | Q(pk__in=items.values("kpi__supervisor"))
        | Q(pk__in=RoundReport.objects.filter(round=round).values("agreement__unit__head")),
        is_active=True,
    )
    return (
        list(people),
        _("The %(round)s is open for results.") % {"round": round},
        reverse("my_reports"),
    )

"""The year's reminder policy and the administrator's page of the daily runs. Thin views: an access helper,
a form or one service call, a redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kpi_agreements.fiscal.access import can_manage_years
from kpi_agreements.fiscal.models import Milestone
from kpi_agreements.reporting.models import MILESTONE_OF

from .access import check_runs_for, get_policy_for
from .forms import ReminderPolicyForm
from .models import ReminderDigest, ReminderLog, ReminderRun
from .schedule import timeline
from .services import run_again

RECENT_RUNS = 10


@login_required
def reminder_policy(request, pk):
    """The policy and the timeline it gives each round; the form for the managers of a whole organisation."""
    need = "manage" if request.method == "POST" else "read"
    policy = get_policy_for(request.user, pk, need=need)
    year = policy.fiscal_year
    can_manage = can_manage_years(request.user)
    form = None
    if can_manage:
        form = ReminderPolicyForm(request.POST or None, instance=policy)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, _("The reminder policy of %(year)s was saved.") % {"year": year})
            return redirect("reminder_policy", pk=year.pk)
    milestones = {m.kind: m for m in year.milestones.filter(kind__in=MILESTONE_OF.values())}
    rounds = [
        {"milestone": milestones[kind], "rows": timeline(year, policy, milestones[kind])}
        for kind in (Milestone.Kind.REPORT_6, Milestone.Kind.REPORT_9, Milestone.Kind.REPORT_12)
        if kind in milestones
    ]
    return render(
        request,
        "reminders/policy.html",
        {"year": year, "policy": policy, "form": form, "rounds": rounds},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
def reminder_runs(request):
    """The latest day's runs (sent, skipped, failed) and what each person was told that day."""
    check_runs_for(request.user)
    day = ReminderRun.objects.aggregate(day=Max("day"))["day"]
    runs = list(ReminderRun.objects.filter(day=day).select_related("started_by")) if day else []
    S = ReminderLog.Status
    people = (
        ReminderLog.objects.filter(run__day=day)
        .values("person", "person__title", "person__first_name", "person__last_name", "person__email")
        .annotate(
            sent=Count("pk", filter=Q(status=S.SENT)),
            skipped=Count("pk", filter=Q(status=S.SKIPPED)),
            failed=Count("pk", filter=Q(status=S.FAILED)),
            emailed=Count("pk", filter=Q(emailed_at__isnull=False)),
        )
        .order_by("person__first_name", "person__last_name", "person")
    )
    failures = ReminderLog.objects.filter(run__day=day, status=S.FAILED).select_related("person")[:50]
    owed = ReminderDigest.objects.filter(queued_at__isnull=False, sent_at__isnull=True).count()
    recent = ReminderRun.objects.select_related("started_by")[:RECENT_RUNS]
    return render(
        request,
        "reminders/runs.html",
        {"day": day, "runs": runs, "people": people, "failures": failures, "owed": owed, "recent": recent},
    )


@login_required
@require_POST
def reminder_run_again(request):
    """Run today's reminders again: only what was never sent goes out."""
    check_runs_for(request.user)
    run_again(user=request.user)
    messages.success(request, _("The reminders are being run again; only those never sent go out."))
    return redirect("reminder_runs")

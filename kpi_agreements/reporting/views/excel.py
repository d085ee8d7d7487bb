"""The round's Excel workbook and the import of its results (issue 10 items 2 and 7): both pages ask for a
background job and send the person to its page (workflow ``job_detail``), which shows the progress, the file
and the import's outcome.

- ``round_workbook``: anyone signed in (a round is read by everyone signed in, access.get_round_for); the
  workbook holds only the reports the requester may read, optionally below one unit.
- ``round_import``: anyone signed in who may enter at least one KPI of the round's reports
  (services.results_import.enters_in_round); every row is then checked for its own KPI.
"""

from uuid import uuid4

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from kpi_agreements.agreements.views.excel import UploadForm
from kpi_agreements.core import uploads
from kpi_agreements.organisation.access import scope_of
from kpi_agreements.organisation.models import Unit
from kpi_agreements.workflow.jobs import job_request, jobs_about

from ..access import get_round_for, reports_visible_to
from ..excel import parse
from ..excel.jobs import IMPORT, WORKBOOK
from ..services.results_import import enters_in_round

RECENT_JOBS = 10


class WorkbookForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Unit (with the units below it)"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("Every unit I may read"),
    )

    def __init__(self, *args, user, round, **kwargs):
        super().__init__(*args, **kwargs)
        # The units the person's roles cover, and those of the reports they read in this round.
        scope = scope_of(user)
        units = Unit.objects.filter(is_active=True)
        if not scope.is_superuser:
            own = reports_visible_to(user).filter(round=round).values("agreement__unit_id")
            units = units.filter(scope.unit_q() | Q(pk__in=own))
        self.fields["unit"].queryset = units.order_by("path")
        self.fields["unit"].label_from_instance = lambda u: f"{'— ' * (u.depth - 1)}{u.name_th}"


class RoundUploadForm(UploadForm):
    """The KPI Template upload's size and name checks, and the content: only a real xlsx is kept."""

    def clean_file(self):
        upload = super().clean_file()
        try:
            kind = uploads.detect(upload)
        except ValidationError as exc:  # a zip bomb or a damaged file: its own message
            raise forms.ValidationError(exc.messages[0]) from exc
        if kind != "xlsx":
            raise forms.ValidationError(parse.not_xlsx())
        return upload


def _recent(round, kind, user):
    return list(jobs_about(round, [kind]).filter(requested_by=user)[:RECENT_JOBS])


@login_required
@require_http_methods(["GET", "POST"])
def round_workbook(request, pk):
    round = get_round_for(request.user, pk)
    data = request.POST if request.method == "POST" else (request.GET if "unit" in request.GET else None)
    form = WorkbookForm(data, user=request.user, round=round)
    if request.method == "POST" and form.is_valid():
        unit = form.cleaned_data["unit"]
        job = job_request(kind=WORKBOOK, user=request.user, subject=round, unit=unit.pk if unit else None)
        return redirect("job_detail", job.pk)
    return render(
        request,
        "reporting/excel_workbook.html",
        {"round": round, "form": form, "jobs": _recent(round, WORKBOOK, request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_import(request, pk):
    round = get_round_for(request.user, pk)
    if not enters_in_round(request.user, round):
        raise Http404
    form = RoundUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        name = default_storage.save(f"imports/round-{round.pk}-{uuid4().hex}.xlsx", form.cleaned_data["file"])
        job = job_request(kind=IMPORT, user=request.user, subject=round, file=name, language=get_language())
        return redirect("job_detail", job.pk)
    return render(
        request,
        "reporting/excel_import.html",
        {
            "round": round,
            "form": form,
            "jobs": _recent(round, IMPORT, request.user),
            "max_megabytes": parse.megabytes(parse.MAX_UPLOAD_BYTES),
            "max_rows": f"{parse.MAX_DATA_ROWS:,}",
        },
    )


urlpatterns = [
    path("rounds/<int:pk>/workbook/", round_workbook, name="round_workbook"),
    path("rounds/<int:pk>/import/", round_import, name="round_import"),
]

from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Exists, F, Func, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.access import (
    agreements_visible_to,
    can_decide,
    can_edit_agreement,
    can_edit_template,
    conflicted,
    deciders,
    get_agreement_for,
    get_kpi_for,
    is_editor,
    sits_on_committee_for,
    visible_q,
)
from kpi_agreements.agreements.forms.editor import ActionPlanForm, KPIForm, PartyFormSet
from kpi_agreements.agreements.history import kpi_changes
from kpi_agreements.agreements.models import KPI, Agreement, KPIComment, Proposal
from kpi_agreements.agreements.services import changes, drafting, kpis, negotiation
from kpi_agreements.core.params import id_param
from kpi_agreements.core.thai import be_date
from kpi_agreements.criteria.forms import CalculatorForm, CriteriaForm
from kpi_agreements.fiscal.access import get_fiscal_year_for
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.models import Unit
from kpi_agreements.organisation.views import _apply_errors
from kpi_agreements.workflow.services import timeline


@login_required
def agreements_home(request):
    year = FiscalYear.objects.filter(is_current=True).first() or FiscalYear.objects.first()
    if year is None:
        raise Http404
    return redirect("year_agreements", pk=year.pk)


def _editor_context(request, agreement: Agreement) -> dict:
    """Everything the editor shows, in a fixed number of queries whatever the number of KPIs.

    The page is the one most often read, so it reads lean: the dimensions are attached to the KPIs from
    their list, not joined to every row; what a row shows of the KPI it serves comes as a value; the
    committee's counts as correlated counts; the URLs of the rows from one reversal each (``_row_urls``)."""
    dimensions = list(agreement.fiscal_year.dimensions.order_by("order", "pk"))  # not joined to the year
    by_pk = {d.pk: d for d in dimensions}
    all_kpis = list(
        agreement.kpis.select_related("supervisor")
        .annotate(
            # The revision round at a glance: which KPIs the committee commented on or proposes to change.
            comment_count=_count(KPIComment.objects.filter(kpi=OuterRef("pk"))),
            pending_count=_count(Proposal.objects.filter(kpi=OuterRef("pk"), status=Proposal.Status.PENDING)),
            served_unit=F("cascaded_from__agreement__unit__abbreviation"),
        )
        .order_by("order", "pk")
    )
    for kpi in all_kpis:
        if kpi.dimension_id in by_pk:
            kpi.dimension = by_pk[kpi.dimension_id]
    kpis = selectors.outline([k for k in all_kpis if k.cancelled_from_round is None])
    _row_urls(kpis, agreement)
    report = selectors.weight_report(kpis, dimensions)
    groups = [
        (d, [k for k in kpis if k.dimension_id == d.pk], total, diff) for d, total, diff in report.dimensions
    ]
    workflow = _workflow_context(request, agreement)
    problems = selectors.submission_problems(agreement, kpis, report)
    # Who signs comes first in the readiness box: a missing pledgor must not hide below a list of weights.
    about_parties = set(selectors.party_problems(workflow["parties"]))
    problems = sorted(problems, key=lambda p: p not in about_parties)
    return {
        "agreement": agreement,
        "groups": groups,
        "report": report,
        "problems": problems,
        "can_edit": workflow["is_editor"] and agreement.is_editable,  # can_edit_agreement, asked once
        "kpi_count": len(kpis),
        "cancelled": [k for k in all_kpis if k.cancelled_from_round is not None],
        # Proposals can be answered only while the committee negotiates; afterwards they are history.
        "negotiating": agreement.status in (Agreement.Status.SUBMITTED, Agreement.Status.REVISION),
        **workflow,
    }


def _count(rows):
    """A correlated COUNT(*), so the KPI rows need no join and GROUP BY over all their columns."""
    return Coalesce(Subquery(rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")), 0)


SENTINEL = 987654321  # a pk no row has: reversed once, then replaced by each KPI's


def _row_urls(kpis: list[KPI], agreement: Agreement) -> None:
    """Each row's links and form targets: a reversal per kind instead of several per KPI."""
    names = {"detail_url": "kpi_detail", "weight_url": "kpi_weight", "move_url": "kpi_move"}
    patterns = {attr: reverse(name, args=[SENTINEL]) for attr, name in names.items()}
    sub_url = f"{reverse('kpi_create', args=[agreement.pk])}?parent="
    mark = str(SENTINEL)
    for kpi in kpis:
        pk = str(kpi.pk)
        for attr, pattern in patterns.items():
            setattr(kpi, attr, pattern.replace(mark, pk))
        kpi.sub_url = sub_url + pk


def _workflow_context(request, agreement: Agreement) -> dict:
    """What the user may do next with the agreement, and what has happened to it."""
    user = request.user
    parties = list(agreement.parties.select_related("person"))
    editor = is_editor(user, agreement)
    windows = change_windows(agreement) if agreement.is_locked else []
    window = next((w["milestone"] for w in windows if w["open"]), None)
    # The committee's buttons and notices show only while the agreement is before it: only then ask.
    submitted = agreement.status == Agreement.Status.SUBMITTED
    member = submitted and sits_on_committee_for(user, agreement)
    decides = member and not conflicted(user, agreement)  # can_decide, without asking about the seat twice
    return {
        "parties": parties,
        "is_editor": editor,
        "is_committee": decides,
        # §5: a member who may not decide is told whether anyone else can, instead of being shown the buttons.
        "conflicted_member": member and not decides,
        "nobody_decides": submitted and not deciders(agreement),
        "my_parties": [p for p in parties if p.person_id == user.pk and p.signed_at is None],
        "timeline": timeline(agreement, negotiation.LABELS),
        "change_requests": agreement.change_requests.select_related("opened_by"),
        "change_window": window if editor else None,
        "change_windows": windows,
        "window_note": _window_note(windows),
    }


def change_windows(agreement: Agreement, today=None) -> list[dict]:
    """The year's two change-request windows (DOMAIN §9), each closing on its deadline rolled to a working
    day, and whether it is open ``today``, still to come or past."""
    today = today or timezone.localdate()
    return [
        {"milestone": m, "start": start, "end": end, "open": start <= today <= end, "coming": today < start}
        for m, start, end in changes.window_bounds(agreement.fiscal_year)
    ]


def _window_note(windows: list[dict]) -> str:
    """ "Open now until …", or when the next window opens, or that none is left this year."""
    current = next((w for w in windows if w["open"]), None)
    if current:
        return _("A change request can be opened now, until %(end)s.") % {"end": be_date(current["end"])}
    coming = next((w for w in windows if w["coming"]), None)
    if coming:
        return _("The next window for change requests opens on %(start)s.") % {
            "start": be_date(coming["start"])
        }
    return _("No window for change requests is left this year.") if windows else ""


@login_required
def agreement_detail(request, pk):
    agreement = get_agreement_for(request.user, pk)
    return render(request, "agreements/agreement_detail.html", _editor_context(request, agreement))


def _outline_response(request, agreement):
    """After an in-place change: htmx gets the outline and totals only, a plain form post the whole page."""
    if request.htmx:
        return render(request, "agreements/_outline.html", _editor_context(request, agreement))
    return redirect("agreement_detail", pk=agreement.pk)


@login_required
def agreement_plan_edit(request, pk):
    agreement = get_agreement_for(request.user, pk, need="edit")
    form = ActionPlanForm(request.POST or None, instance=agreement)
    if request.method == "POST" and form.is_valid():
        drafting.agreement_update(agreement=agreement, **form.cleaned_data)
        messages.success(request, _("The action plan was saved."))
        return redirect("agreement_detail", pk=agreement.pk)
    return render(
        request,
        "organisation/form.html",
        {"form": form, "title": _("Action plan of %(a)s") % {"a": agreement}},
    )


@login_required
def agreement_parties_edit(request, pk):
    agreement = get_agreement_for(request.user, pk, need="edit")
    formset = PartyFormSet(request.POST or None, instance=agreement)
    if request.method == "POST" and formset.is_valid():
        try:
            drafting.parties_save(agreement=agreement, formset=formset, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The parties were saved."))
            return redirect("agreement_detail", pk=agreement.pk)
    return render(request, "agreements/parties_edit.html", {"agreement": agreement, "formset": formset})


def _cascade_choices(agreement: Agreement):
    """KPIs of the parent unit's agreement for the same year: what this unit's KPIs can serve (§6)."""
    parent_id = agreement.unit.parent_id
    return KPI.objects.filter(
        agreement__unit_id=parent_id, agreement__fiscal_year_id=agreement.fiscal_year_id
    ).select_related("agreement__unit")


def _kpi_form_page(request, agreement, kpi, *, template_only=False):
    kpi_form = KPIForm(
        request.POST or None,
        instance=kpi,
        agreement=agreement,
        template_only=template_only,
        cascade_choices=_cascade_choices(agreement),
    )
    initial = CriteriaForm.initial_from(kpi.method, kpi.criteria, kpi.direction)
    # The calculator form is a superset of the criteria form: one set of fields serves saving and trying.
    criteria_form = CalculatorForm(request.POST or None, prefix="criteria", initial=initial)
    if request.method == "POST":
        kpi_ok = kpi_form.is_valid()
        valid = criteria_form.validated_criteria() if criteria_form.is_valid() else None
        if kpi_ok and valid is not None:
            method, criteria = valid
            values = dict(
                kpi_form.template_values(),
                method=method,
                criteria=criteria,
                direction=criteria_form.cleaned_data["direction"] or "higher",
            )
            try:
                if kpi.pk:
                    kpi = kpis.kpi_update(kpi=kpi, **values)
                else:
                    dimension = values.pop("dimension", None) or kpi.dimension
                    parent = values.pop("parent", kpi.parent)
                    kpi = kpis.kpi_create(agreement=agreement, dimension=dimension, parent=parent, **values)
            except ValidationError as exc:
                _apply_errors(kpi_form, exc)
            else:
                messages.success(request, _("KPI %(name)s was saved.") % {"name": kpi.name})
                return redirect("kpi_detail", pk=kpi.pk)
    return render(
        request,
        "agreements/kpi_form.html",
        {
            "agreement": agreement,
            "kpi": kpi,
            "form": kpi_form,
            "criteria_form": criteria_form,
            "template_only": template_only,
        },
    )


@login_required
def kpi_create(request, pk):
    agreement = get_agreement_for(request.user, pk, need="edit")
    parent = dimension = None
    if (parent_pk := id_param(request, "parent")) is not None:
        parent = get_kpi_for(request.user, parent_pk, need="edit")
        if parent.agreement_id != agreement.pk:
            raise Http404
    if (dimension_pk := id_param(request, "dimension")) is not None:
        dimension = get_object_or_404(agreement.fiscal_year.dimensions, pk=dimension_pk)
    kpi = KPI(agreement=agreement, parent=parent, dimension=parent.dimension if parent else dimension)
    return _kpi_form_page(request, agreement, kpi)


@login_required
def kpi_edit(request, pk):
    kpi = get_kpi_for(request.user, pk, need="template")
    template_only = not can_edit_agreement(request.user, kpi.agreement)
    return _kpi_form_page(request, kpi.agreement, kpi, template_only=template_only)


@login_required
def kpi_detail(request, pk):
    kpi = get_kpi_for(request.user, pk)
    rows = selectors.outline(kpi.agreement.kpis.select_related("dimension"))
    number = next((k.number for k in rows if k.pk == kpi.pk), "")
    return render(
        request,
        "agreements/kpi_detail.html",
        {
            "kpi": kpi,
            "number": number,
            "agreement": kpi.agreement,
            "children": [k for k in rows if k.parent_id == kpi.pk],
            # EXISTS, not a join and DISTINCT: an agreement serving the KPI several times is listed once.
            "cascaded_to": agreements_visible_to(request.user)
            .filter(Exists(KPI.objects.filter(agreement=OuterRef("pk"), cascaded_from=kpi)))
            .select_related("unit")
            .prefetch_related(
                Prefetch("kpis", queryset=KPI.objects.filter(cascaded_from=kpi), to_attr="served_by")
            ),
            "changes": kpi_changes(kpi),
            "can_edit": can_edit_agreement(request.user, kpi.agreement),
            "can_edit_template": can_edit_template(request.user, kpi),
            "criteria_form": CriteriaForm(
                initial=CriteriaForm.initial_from(kpi.method, kpi.criteria, kpi.direction)
            ),
            "comments": kpi.comments.select_related("author"),
            "proposals": kpi.proposals.select_related("author", "decided_by"),
            "is_committee": can_decide(request.user, kpi.agreement),
            "is_editor": is_editor(request.user, kpi.agreement),
            "negotiating": kpi.agreement.status in (Agreement.Status.SUBMITTED, Agreement.Status.REVISION),
        },
    )


@login_required
@require_POST
def kpi_move(request, pk):
    kpi = get_kpi_for(request.user, pk, need="edit")
    step = -1 if request.POST.get("direction") == "up" else 1
    kpis.kpi_move(kpi=kpi, step=step)
    return _outline_response(request, kpi.agreement)


@login_required
@require_POST
def kpi_weight(request, pk):
    kpi = get_kpi_for(request.user, pk, need="edit")
    form = KPIForm(instance=kpi, agreement=kpi.agreement)
    field = form.fields["weight"]
    try:
        if field.disabled:
            raise ValidationError(_("A parent KPI's weight is the sum of its sub-KPIs."))
        weight = field.clean(request.POST.get("weight", ""))
        kpis.kpi_update(kpi=kpi, weight=weight)
    except ValidationError as exc:
        messages.error(
            request, _("KPI %(name)s: %(error)s") % {"name": kpi.name, "error": " ".join(exc.messages)}
        )
    return _outline_response(request, kpi.agreement)


@login_required
@require_POST
def kpi_delete(request, pk):
    kpi = get_kpi_for(request.user, pk, need="edit")
    try:
        kpis.kpi_delete(kpi=kpi)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("kpi_detail", pk=kpi.pk)
    messages.success(request, _("KPI %(name)s was deleted.") % {"name": kpi.name})
    return redirect("agreement_detail", pk=kpi.agreement_id)


CASCADE_PAGE = 50
CASCADE_FOUND = 20  # units listed for a search on the map


@login_required
def cascade_map(request, pk):
    """One unit's KPIs, each followed by the KPIs of the units directly below that serve it (§6), 50 rows
    a page; a chain is followed down by opening the map of a unit below (``?unit=``).

    A ministry's year holds tens of thousands of KPIs, so the page reads one unit at a time, as values, in
    a fixed number of queries (the whole year's chains once took seconds to draw)."""
    year = get_fiscal_year_for(request.user, pk)
    visible = agreements_visible_to(request.user).filter(fiscal_year=year).order_by()
    unit_pk = id_param(request, "unit")
    own = visible.values("pk", "unit_id", "unit__path", "unit__abbreviation", "unit__name_th")
    if unit_pk is None:
        agreement = own.order_by("unit__path").first()  # the top of what the user reads
    elif (agreement := own.filter(unit=unit_pk).first()) is None:
        raise Http404
    q = request.GET.get("q", "").strip()[:100]
    context = {"year": year, "q": q, "agreement": agreement, "rows": [], "page": None, "ancestors": []}
    if q:
        context["units_found"] = list(
            visible.filter(Q(unit__name_th__icontains=q) | Q(unit__abbreviation__icontains=q))
            .order_by("unit__path")
            .values("unit_id", "unit__abbreviation", "unit__name_th")[:CASCADE_FOUND]
        )
    if agreement is not None:
        path, steplen = agreement["unit__path"], Unit.steplen
        above = [path[:n] for n in range(steplen, len(path), steplen)]
        context["ancestors"] = list(
            visible.filter(unit__path__in=above)
            .order_by("unit__path")
            .values("unit_id", "unit__abbreviation", "unit__name_th")
        )
        page = Paginator(_cascade_rows(request.user, agreement["pk"]), CASCADE_PAGE).get_page(
            request.GET.get("page")
        )
        context["page"] = page
        context["rows"] = [(SimpleNamespace(**row), row["level"]) for row in page]
        context["query"] = urlencode({k: v for k, v in (("unit", unit_pk), ("q", q)) if v})
    return render(request, "agreements/cascade_map.html", context)


def _cascade_rows(user, agreement_pk: int):
    """The agreement's KPIs (level 0), each followed by the visible KPIs that serve it (level 1), as values
    in reading order: the served KPI's dimension and place, then the serving unit's place in the tree.

    A KPI serves only a KPI of its parent unit's agreement of the same year (the KPI form offers no other),
    so no filter on the year is needed: one would lead SQLite to read the whole year's KPIs."""
    tops = list(KPI.objects.filter(agreement=agreement_pk).order_by().values_list("pk", flat=True))
    top = Q(agreement=agreement_pk)

    def own_or_served(mine, served):
        return Case(When(top, then=F(mine)), default=F(served))

    return (
        # Two indexed lookups (the KPIs themselves, and those pointing to them), not a join to filter on.
        KPI.objects.filter(Q(pk__in=tops) | Q(cascaded_from__in=tops))
        .filter(visible_q(user, "agreement__"))
        .annotate(
            level=Case(When(top, then=Value(0)), default=Value(1)),
            top_dimension=own_or_served("dimension__order", "cascaded_from__dimension__order"),
            top_order=own_or_served("order", "cascaded_from__order"),
            top_pk=own_or_served("pk", "cascaded_from_id"),
        )
        .order_by(
            "top_dimension",
            "top_order",
            "top_pk",
            "level",
            "agreement__unit__path",
            "dimension__order",
            "order",
            "pk",
        )
        .values(
            "pk",
            "name",
            "weight",
            "level",
            unit_id=F("agreement__unit_id"),
            unit=F("agreement__unit__abbreviation"),
            serves=F("cascaded_from__name"),
            serves_unit=F("cascaded_from__agreement__unit__abbreviation"),
        )
    )

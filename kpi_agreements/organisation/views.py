from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kpi_agreements.core.params import id_param

from . import services
from .access import (
    can_manage_committee,
    can_manage_person,
    can_manage_unit,
    committees_visible_to,
    get_committee_for,
    get_person_for,
    get_unit_for,
    people_visible_to,
    scope_of,
)
from .forms import (
    CommitteeForm,
    CommitteeMemberForm,
    PersonForm,
    PersonInviteForm,
    ResolutionForm,
    RoleForm,
    SetPasswordForm,
    UnitForm,
    UnitMoveForm,
)
from .models import Committee, Role, RoleAssignment, Unit, UnitType


def _apply_errors(form, exc: ValidationError) -> None:
    """Show a service's refusal next to the field it names, or at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def home(request):
    from kpi_agreements.agreements.access import agreements_visible_to
    from kpi_agreements.fiscal.models import FiscalYear

    year = FiscalYear.objects.filter(is_current=True).first()
    agreements = agreements_visible_to(request.user).filter(fiscal_year=year) if year else None
    return render(
        request,
        "home.html",
        {
            "current_year": year,
            "agreement_count": agreements.count() if agreements is not None else 0,
        },
    )


# --- units -------------------------------------------------------------------------------------------


PAGE_SIZE = 50


def _page(request, rows, param: str = "page"):
    """One page of ``rows`` (50): lists stay the same size and cost whatever the organisation's size."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get(param))


def _query(request, *names: str) -> str:
    """The list's own filters, urlencoded, for its pager and the other list's pager on the same page."""
    return urlencode([(n, request.GET[n]) for n in names if request.GET.get(n)])


def _tree_rows(units: list[Unit]):
    """Flatten units (ordered by path) into rows that say how many nested lists to open or close."""
    rows, stack = [], []
    for unit in units:
        closes = 0
        while stack and not unit.path.startswith(stack[-1]):
            stack.pop()
            closes += 1
        rows.append({"unit": unit, "closes": range(closes), "depth": len(stack)})
        stack.append(unit.path)
    return rows, range(len(stack))


def _tree_page(page, around):
    """The rows of a page of units (in path order) with the units above them taken from ``around``, so a page
    that starts deep in the tree, or a search match, is shown where it sits. One query at most."""
    shown = list(page)
    paths = {u.path for u in shown}
    above = {u.path[:n] for u in shown for n in range(Unit.steplen, len(u.path), Unit.steplen)} - paths
    units = shown + (list(around.filter(path__in=above)) if above else [])
    return _tree_rows(sorted(units, key=lambda u: u.path))


def _unit_search(units, q: str):
    return units.filter(Q(name_th__icontains=q) | Q(name_en__icontains=q) | Q(abbreviation__icontains=q))


@login_required
def unit_tree(request):
    """The units the user covers, 50 a page in tree order; a search or a unit type shows the matches, each
    under the chain of units above it so the officer sees where it sits."""
    scope = scope_of(request.user)
    units = scope.units().select_related("unit_type", "head")
    if not request.GET.get("inactive"):
        units = units.filter(is_active=True)
    q = request.GET.get("q", "").strip()[:100]
    kind = id_param(request, "type")
    found = _unit_search(units, q) if q else units
    if kind is not None:
        found = found.filter(unit_type=kind)
    page = _page(request, found.order_by("path"))
    rows, tail = _tree_rows([]) if not page else _tree_page(page, units)
    return render(
        request,
        "organisation/unit_tree.html",
        {
            "rows": rows,
            "tail": tail,
            "q": q,
            "kind": kind,
            "unit_types": UnitType.objects.all(),
            "page": page,
            "query": _query(request, "q", "type", "inactive"),
            "matches": {u.pk for u in page} if q or kind is not None else set(),
            "can_add_root": request.user.is_superuser,
            "manages": scope.manages_anything(),
        },
    )


@login_required
def unit_detail(request, pk):
    """The unit, its part of the organisation (50 units a page) and the roles held in it (50 a page,
    searched by name): the root of a ministry's two thousand units reads like a bureau."""
    unit = get_unit_for(request.user, pk)
    scope = scope_of(request.user)
    subtree = Unit.objects.filter(unit.subtree_q()).filter(scope.unit_q()).select_related("unit_type", "head")
    page = _page(request, subtree.order_by("path"))
    rows, tail = _tree_page(page, subtree)
    roles = RoleAssignment.objects.filter(unit.subtree_q(prefix="unit__")).select_related("person", "unit")
    rq = request.GET.get("rq", "").strip()[:100]
    for word in rq.split()[:5]:
        roles = roles.filter(
            Q(person__first_name__icontains=word)
            | Q(person__last_name__icontains=word)
            | Q(person__username__icontains=word)
            | Q(person__position__icontains=word)
        )
    roles = _page(request, roles.order_by("unit__path", "role", "person__first_name", "pk"), "rpage")
    ancestors = Unit.objects.filter(path__in=unit.ancestor_paths()).order_by("path")
    return render(
        request,
        "organisation/unit_detail.html",
        {
            "unit": unit,
            "rows": rows,
            "tail": tail,
            "page": page,
            "roles": roles,
            "rq": rq,
            "units_query": _query(request, "rq", "rpage"),
            "roles_query": _query(request, "rq", "page"),
            "ancestors": [a for a in ancestors if scope.covers(a)],
            "can_manage": can_manage_unit(request.user, unit),
            "history": unit.history.select_related("history_user").order_by("-history_date")[:10],
        },
    )


@login_required
def unit_create(request):
    scope = scope_of(request.user)
    if not scope.manages_anything():
        raise Http404
    parent_required = not request.user.is_superuser
    initial = {"parent": request.GET.get("parent")}
    form = UnitForm(request.POST or None, user=request.user, parent_required=parent_required, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        parent = data.pop("parent")
        try:
            unit = services.unit_create(parent=parent, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Unit %(unit)s was created.") % {"unit": unit})
            return redirect("unit_detail", pk=unit.pk)
    return render(request, "organisation/form.html", {"form": form, "title": _("New unit")})


@login_required
def unit_edit(request, pk):
    unit = get_unit_for(request.user, pk, need="manage")
    form = UnitForm(request.POST or None, instance=unit, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(unit=Unit.objects.get(pk=unit.pk), **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Unit %(unit)s was saved.") % {"unit": unit})
            return redirect("unit_detail", pk=unit.pk)
    return render(
        request, "organisation/form.html", {"form": form, "title": _("Edit %(unit)s") % {"unit": unit}}
    )


@login_required
def unit_move(request, pk):
    unit = get_unit_for(request.user, pk, need="manage")
    form = UnitMoveForm(
        request.POST or None, user=request.user, unit=unit, initial={"parent": unit.parent_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_move(unit=unit, new_parent=form.cleaned_data["parent"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Unit %(unit)s was moved.") % {"unit": unit})
            return redirect("unit_detail", pk=unit.pk)
    return render(
        request, "organisation/form.html", {"form": form, "title": _("Move %(unit)s") % {"unit": unit}}
    )


@login_required
@require_POST
def unit_set_active(request, pk):
    unit = get_unit_for(request.user, pk, need="manage")
    active = request.POST.get("active") == "1"
    try:
        services.unit_set_active(unit=unit, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            (_("Unit %(unit)s is active again.") if active else _("Unit %(unit)s was deactivated."))
            % {"unit": unit},
        )
    return redirect("unit_detail", pk=unit.pk)


# --- people ------------------------------------------------------------------------------------------


@login_required
def person_list(request):
    """The people the user may see, 50 a page; searched by every word typed, filtered by role."""
    people = people_visible_to(request.user)
    q = request.GET.get("q", "").strip()[:100]
    for word in q.split()[:5]:
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
            | Q(position__icontains=word)
            | Q(email__icontains=word)
        )
    role = request.GET.get("role", "")
    if role in Role.values:
        people = people.filter(Exists(RoleAssignment.objects.filter(person=OuterRef("pk"), role=role)))
    else:
        role = ""
    page = _page(
        request,
        people.order_by("first_name", "last_name", "pk").prefetch_related(
            Prefetch("roles", queryset=RoleAssignment.objects.select_related("unit").order_by("unit__path"))
        ),
    )
    scope = scope_of(request.user)
    return render(
        request,
        "organisation/person_list.html",
        {
            "people": page,
            "page": page,
            "q": q,
            "role": role,
            "roles": Role.choices,
            "query": _query(request, "q", "role"),
            "can_invite": scope.is_superuser or "admin" in scope.paths,
        },
    )


@login_required
def person_create(request):
    scope = scope_of(request.user)
    if not (scope.is_superuser or "admin" in scope.paths):
        raise Http404
    form = PersonInviteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit, role = data.pop("unit"), data.pop("role")
        try:
            person = services.person_invite(invited_by=request.user, unit=unit, role=role, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(person)s was added; an invitation was sent to %(email)s.")
                % {"person": person, "email": person.email},
            )
            return redirect("person_detail", pk=person.pk)
    return render(request, "organisation/form.html", {"form": form, "title": _("Add a person")})


@login_required
def person_detail(request, pk):
    person = get_person_for(request.user, pk)
    return render(request, "organisation/person_detail.html", _person_context(request, person))


def _person_context(request, person, role_form=None):
    can_manage = can_manage_person(request.user, person)
    return {
        "person": person,
        "roles": person.roles.select_related("unit").order_by("unit__path"),
        "seats": person.committee_seats.select_related("committee__fiscal_year"),
        "can_manage": can_manage,
        "role_form": role_form or (RoleForm(user=request.user) if can_manage else None),
    }


@login_required
def person_edit(request, pk):
    person = get_person_for(request.user, pk, need="manage")
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("%(person)s was saved.") % {"person": person})
        return redirect("person_detail", pk=person.pk)
    return render(
        request, "organisation/form.html", {"form": form, "title": _("Edit %(person)s") % {"person": person}}
    )


@login_required
@require_POST
def person_role_add(request, pk):
    person = get_person_for(request.user, pk, need="manage")
    form = RoleForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.role_assign(
                person=person, unit=form.cleaned_data["unit"], role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors:
        return render(
            request, "organisation/person_detail.html", _person_context(request, person, form), status=400
        )
    messages.success(request, _("The role was added."))
    return redirect("person_detail", pk=person.pk)


@login_required
@require_POST
def person_role_remove(request, pk, role_pk):
    person = get_person_for(request.user, pk, need="manage")
    assignment = get_object_or_404(RoleAssignment.objects.select_related("unit"), pk=role_pk, person=person)
    if not scope_of(request.user).covers(assignment.unit, "admin"):
        raise Http404
    services.role_remove(assignment=assignment)
    messages.success(request, _("The role was removed."))
    return redirect("person_detail", pk=person.pk)


@login_required
@require_POST
def person_reinvite(request, pk):
    person = get_person_for(request.user, pk, need="manage")
    try:
        services.invitation_resend(person=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("person_detail", pk=person.pk)
    messages.success(request, _("A new invitation was sent to %(email)s.") % {"email": person.email})
    return redirect("person_detail", pk=person.pk)


def invitation_accept(request, token):
    try:
        invitation = services.invitation_check(token)
    except ValidationError as exc:
        return render(request, "organisation/invitation_invalid.html", {"errors": exc.messages}, status=410)
    form = SetPasswordForm(request.POST or None, person=invitation.person)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_accept(token=token, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            return render(
                request, "organisation/invitation_invalid.html", {"errors": exc.messages}, status=410
            )
        messages.success(
            request,
            _("Your password is set. Log in with your username %(username)s.")
            % {"username": invitation.person.username},
        )
        return redirect("login")
    return render(request, "organisation/invitation_accept.html", {"form": form, "person": invitation.person})


# --- committees --------------------------------------------------------------------------------------


@login_required
def committee_list(request):
    committees = (
        committees_visible_to(request.user)
        .select_related("fiscal_year", "unit")
        .prefetch_related("members__person")
        .order_by("-fiscal_year__be_year", "name")
    )
    return render(
        request,
        "organisation/committee_list.html",
        {"committees": committees, "can_create": scope_of(request.user).manages_anything()},
    )


@login_required
def committee_edit(request, pk=None):
    committee = get_committee_for(request.user, pk, need="manage") if pk else Committee()
    if pk is None and not scope_of(request.user).manages_anything():
        raise Http404
    form = CommitteeForm(request.POST or None, instance=committee, user=request.user)
    if request.method == "POST" and form.is_valid():
        committee = services.committee_save(
            committee=form.instance, units_covered=form.cleaned_data["units_covered"]
        )
        messages.success(request, _("Committee %(name)s was saved.") % {"name": committee.name})
        return redirect("committee_detail", pk=committee.pk)
    title = _("Edit %(name)s") % {"name": committee.name} if pk else _("New committee")
    return render(request, "organisation/form.html", {"form": form, "title": title})


def _committee_context(request, committee, member_form=None, resolution_form=None):
    can_manage = can_manage_committee(request.user, committee)
    q = request.GET.get("q", "").strip()[:100]
    covered = _unit_search(committee.units_covered.all(), q) if q else committee.units_covered.all()
    return {
        "committee": committee,
        "members": committee.members.select_related("person").order_by("position", "person__first_name"),
        # A ministry's committee may cover thousands of units: a page of them, searched, the number above.
        "units_covered": _page(request, covered.order_by("path").only("abbreviation", "name_th")),
        "q": q,
        "query": _query(request, "q"),
        "resolutions": committee.resolutions.all(),
        "can_manage": can_manage,
        "member_form": member_form
        or (CommitteeMemberForm(user=request.user, committee=committee) if can_manage else None),
        "resolution_form": resolution_form
        or (ResolutionForm(fiscal_year=committee.fiscal_year) if can_manage else None),
    }


@login_required
def committee_detail(request, pk):
    committee = get_committee_for(request.user, pk)
    return render(request, "organisation/committee_detail.html", _committee_context(request, committee))


@login_required
@require_POST
def committee_member_add(request, pk):
    committee = get_committee_for(request.user, pk, need="manage")
    form = CommitteeMemberForm(request.POST, user=request.user, committee=committee)
    if form.is_valid():
        try:
            services.committee_member_add(committee=committee, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors:
        return render(
            request,
            "organisation/committee_detail.html",
            _committee_context(request, committee, member_form=form),
            status=400,
        )
    messages.success(request, _("The member was added."))
    return redirect("committee_detail", pk=committee.pk)


@login_required
@require_POST
def committee_member_remove(request, pk, member_pk):
    committee = get_committee_for(request.user, pk, need="manage")
    committee.members.filter(pk=member_pk).delete()
    messages.success(request, _("The member was removed."))
    return redirect("committee_detail", pk=committee.pk)


@login_required
@require_POST
def committee_resolution_add(request, pk):
    committee = get_committee_for(request.user, pk, need="manage")
    form = ResolutionForm(request.POST, fiscal_year=committee.fiscal_year)
    if form.is_valid():
        try:
            services.resolution_record(committee=committee, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors:
        return render(
            request,
            "organisation/committee_detail.html",
            _committee_context(request, committee, resolution_form=form),
            status=400,
        )
    messages.success(request, _("The resolution was recorded."))
    return redirect("committee_detail", pk=committee.pk)

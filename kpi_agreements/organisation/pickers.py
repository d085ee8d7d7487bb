"""Choosing a person without showing the directory (issue 8.7).

A picker offers the people of one scope — the same selector serves the form field that validates the posted
pk and the search endpoint that lists matches — and never shows a phone number or an e-mail address. The
page carries a search box (htmx asks ``/people/search/`` as the user types) and a hidden input with the
chosen pk; without JavaScript a small select of at most ``FALLBACK`` people takes its place.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from kpi_agreements.core.params import id_param

from .access import get_committee_for, people_visible_to
from .models import Committee, Person, RoleAssignment, Unit

RESULTS = 20
FALLBACK = 50
ORDER = ("first_name", "last_name", "pk")


def people_around(unit: Unit) -> QuerySet[Person]:
    """Active people holding a role on, or heading, the unit, a unit below it or a unit above it."""
    above = unit.ancestor_paths()
    units = Unit.objects.filter(Q(path__startswith=unit.path) | Q(path__in=above), is_active=True)
    roles = RoleAssignment.objects.filter(unit__in=units).values("person_id")
    return Person.objects.filter(Q(pk__in=roles) | Q(pk__in=units.values("head_id")), is_active=True)


def people_for_committee(user, committee: Committee) -> QuerySet[Person]:
    """The people the manager sees, and those above the convening unit: chairs are often its superiors."""
    return Person.objects.filter(
        Q(pk__in=people_visible_to(user).values("pk")) | Q(pk__in=people_around(committee.unit).values("pk")),
        is_active=True,
    )


def person_label(person: Person) -> str:
    return f"{person.display_name} — {person.position}" if person.position else person.display_name


# --- the search endpoint --------------------------------------------------------------------------------

_SCOPES: dict[str, Callable] = {}


def person_search(kind: str):
    """Register ``fn(user, pk) -> people`` for ``/people/search/?for=<kind>&obj=<pk>``; it checks access."""

    def register(fn):
        _SCOPES[kind] = fn
        return fn

    return register


@person_search("committee")
def _committee_people(user, pk):
    return people_for_committee(user, get_committee_for(user, pk, need="manage"))


def search(people: QuerySet[Person], text: str) -> list[Person]:
    """Every word of ``text`` in the first name, last name or username; at most ``RESULTS`` + 1 rows."""
    words = text.split()[:5]
    if not words:
        return []
    for word in words:
        people = people.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(username__icontains=word)
        )
    people = people.only("title", "first_name", "last_name", "username", "position").order_by(*ORDER)
    return list(people[: RESULTS + 1])


@login_required
@require_GET
def person_search_view(request):
    # The scopes of other apps register when the URL configuration imports their forms.
    scope = _SCOPES.get(request.GET.get("for", ""))
    obj = id_param(request, "obj")
    if scope is None or obj is None:
        raise Http404
    text = request.GET.get("q", "")[:100]
    found = search(scope(request.user, obj), text)
    context = {
        "people": [(p.pk, person_label(p)) for p in found[:RESULTS]],
        "more": len(found) > RESULTS,
        "limit": RESULTS,
        "searched": bool(text.strip()),
    }
    return render(request, "organisation/_person_results.html", context)


# --- the form field ---------------------------------------------------------------------------------------


class PersonPicker(forms.Widget):
    search_url = ""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.people = Person.objects.none()

    def id_for_label(self, id_):
        return id_

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        css = attrs.pop("class", "")
        disabled = attrs.get("disabled", False)
        chosen = self.people.filter(pk=value).first() if str(value or "").isdigit() else None
        fallback = [] if disabled else list(self.people.order_by(*ORDER)[:FALLBACK])
        if chosen and not disabled and chosen not in fallback:
            fallback.insert(0, chosen)
        context = {
            "name": name,
            "id": attrs.get("id", ""),
            "css": css.replace("is-invalid", "").strip(),
            "invalid": "is-invalid" in css.split(),
            "disabled": disabled,
            "chosen": chosen,
            "label": person_label(chosen) if chosen else "",
            "search_url": self.search_url,
            "fallback": [(p.pk, person_label(p)) for p in fallback],
            "capped": len(fallback) >= FALLBACK,
            "limit": FALLBACK,
        }
        return render_to_string("organisation/_person_picker.html", context)


class PersonPickerField(forms.ModelChoiceField):
    """A person from one scope; a posted pk outside it is refused at the field."""

    widget = PersonPicker
    default_error_messages = {
        "invalid_choice": _("Choose a person from the list: this person cannot be named here."),
    }

    def __init__(self, **kwargs):
        super().__init__(queryset=Person.objects.none(), **kwargs)

    def offer(self, people: QuerySet[Person], *, kind: str, obj: int, keep: int | None = None) -> None:
        """Offer ``people`` — the selector the ``kind`` search uses — and ``keep``, whoever is named already,
        so a person who has since moved elsewhere is not dropped by an unrelated edit."""
        if keep:
            people = Person.objects.filter(Q(pk__in=people.values("pk")) | Q(pk=keep))
        self.queryset = people
        self.widget.people = people
        self.widget.search_url = f"{reverse('person_search')}?{urlencode({'for': kind, 'obj': obj})}"

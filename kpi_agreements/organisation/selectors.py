"""Reads that several apps share. The committee rule lives here and nowhere else.

A committee covers a unit in a fiscal year when the unit is among its units covered and the committee belongs
to that year: a member of next year's committee has nothing to say about this year's agreement.
"""

from django.db.models import Exists, OuterRef, QuerySet

from .models import Committee, Person


def committees_covering(unit_id, fiscal_year_id) -> QuerySet[Committee]:
    return Committee.objects.filter(units_covered=unit_id, fiscal_year_id=fiscal_year_id)


def committee_members_covering(unit_id, fiscal_year_id) -> QuerySet[Person]:
    return Person.objects.filter(
        is_active=True,
        pk__in=committees_covering(unit_id, fiscal_year_id).values("members__person"),
    )


def sits_for(user, unit_ref: str = "unit_id", year_ref: str = "fiscal_year_id") -> Exists:
    """An ``Exists`` for querysets: ``user`` sits on a committee covering the row's unit in the row's year.

    ``unit_ref`` and ``year_ref`` name the row's columns (e.g. ``agreement__unit_id`` for change requests).
    """
    return Exists(
        Committee.objects.filter(
            members__person=user.pk, units_covered=OuterRef(unit_ref), fiscal_year_id=OuterRef(year_ref)
        )
    )

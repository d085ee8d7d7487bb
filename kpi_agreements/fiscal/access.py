from django.http import Http404
from django.shortcuts import get_object_or_404

from kpi_agreements.organisation.access import scope_of

from .models import FiscalYear


def can_manage_years(user) -> bool:
    # The calendar is government-wide: only managers of a whole organisation (a root unit) change it.
    return scope_of(user).manages_root()


def get_fiscal_year_for(user, pk, *, need: str = "read") -> FiscalYear:
    if not user.is_authenticated or (need == "manage" and not can_manage_years(user)):
        raise Http404
    return get_object_or_404(FiscalYear, pk=pk)

"""The public pages (DOMAIN §12): no log-in, Thai first, printable. Each page shows only what selectors.py
lets the public read, and is cached under the publication state, so publishing or withdrawing anything is
seen at once by every process (the state is read from the database on each request, one indexed query)."""

import hashlib
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from . import selectors
from .render import public_copy_for

PAGE_SIZE = 50
# Browsers and proxies may keep a page this long; withdrawing must not wait for them much longer.
BROWSER_SECONDS = 60


def cached_public(view):
    """Cache a public page per publication state, language and full path (Django's cache framework). Only
    the body is cached; headers (the CSP among them) are made afresh on each request."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        from django.core.cache import cache

        path = request.get_full_path()
        digest = hashlib.sha256(path.encode()).hexdigest()
        key = f"public:{selectors.public_state()}:{get_language()}:{digest}"
        # A search is anyone's text: answered afresh, never filling the cache.
        searched = bool(request.GET.get("q"))
        hit = None if searched else cache.get(key)
        if hit is not None:
            response = HttpResponse(hit[0], content_type=hit[1])
        else:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming and not searched:
                cache.set(key, (response.content, response["Content-Type"]), settings.PUBLIC_CACHE_SECONDS)
        patch_cache_control(response, public=True, max_age=BROWSER_SECONDS)
        # The language is the visitor's cookie (core.middleware.thai_first).
        patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper


def page(template: str, request, context: dict, status: int = 200) -> HttpResponse:
    """Rendered without the request's context processors: nothing about the visitor reaches a public page."""
    context = {"path": request.get_full_path(), **context}
    return HttpResponse(render_to_string(template, context), status=status)


def _page_of(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@require_safe
@cached_public
def public_home(request):
    years = list(selectors.published_years())
    counts = dict(
        selectors.public_agreements()
        .order_by()
        .values_list("fiscal_year_id")
        .annotate(n=Count("pk"))
        .values_list("fiscal_year_id", "n")
    )
    for year in years:
        year.public_count = counts.get(year.pk, 0)
        year.shows_totals = selectors.shows_totals(year)
    return page("public/home.html", request, {"years": years})


@require_safe
@cached_public
def public_year(request, be_year):
    year = selectors.get_public_year(be_year)
    q = request.GET.get("q", "").strip()[:100]
    agreements = selectors.public_agreements(year)
    if q:
        agreements = agreements.filter(
            unit__in=selectors.search_units(selectors.public_units(), q).values("pk")
        )
    return page(
        "public/year.html",
        request,
        {
            "year": year,
            "framework": selectors.framework(year),
            "page": _page_of(request, agreements),
            "q": q,
            "query": urlencode({"q": q}) if q else "",
            "shows_totals": selectors.shows_totals(year),
        },
    )


@require_safe
@cached_public
def public_results(request, be_year):
    year = selectors.get_public_year(be_year)
    if not selectors.shows_totals(year):
        raise Http404
    results = selectors.verified_results(year)
    return page(
        "public/results.html",
        request,
        {
            "year": year,
            "dimensions": selectors.framework(year)["dimensions"],
            "page": _page_of(request, results),
        },
    )


@require_safe
@cached_public
def public_agreement(request, be_year, unit_pk):
    agreement = selectors.get_public_agreement(be_year, unit_pk)
    kpis = selectors.agreement_kpis(agreement)
    results = selectors.verified_results(agreement.fiscal_year, unit=agreement.unit)
    return page(
        "public/agreement.html",
        request,
        {
            "agreement": agreement,
            "unit": agreement.unit,
            "year": agreement.fiscal_year,
            "groups": selectors.kpi_groups(agreement, kpis),
            "total_weight": selectors.four(sum(k.weight for k in kpis if k.depth == 0)),
            "signatures": selectors.signatures(agreement),
            "has_pdf": selectors.signed_document(agreement) is not None,
            "result": results[0] if results else None,
        },
    )


@require_safe
def public_agreement_pdf(request, be_year, unit_pk):
    """The public copy of the signed PDF (render.py): never the draft, never an unpublished agreement."""
    agreement = selectors.get_public_agreement(be_year, unit_pk)
    document = selectors.signed_document(agreement)
    if document is None:
        raise Http404
    copy = public_copy_for(document)
    try:
        handle = copy.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=False,
        filename=f"agreement-{agreement.unit.abbreviation}-{agreement.fiscal_year.be_year}.pdf",
        content_type="application/pdf",
    )
    patch_cache_control(response, public=True, max_age=BROWSER_SECONDS)
    return response


@require_safe
@cached_public
def public_units(request):
    """The public units in tree order, each under the units above it; a search by Thai or English name or
    abbreviation shows the matches where they sit."""
    q = request.GET.get("q", "").strip()[:100]
    units = selectors.public_units()
    found = selectors.search_units(units, q) if q else units
    current = _page_of(request, found.order_by("path"))
    rows, tail = selectors.tree_rows(list(current))
    return page(
        "public/units.html",
        request,
        {"rows": rows, "tail": tail, "page": current, "q": q, "query": urlencode({"q": q}) if q else ""},
    )


@require_safe
@cached_public
def public_unit(request, pk):
    unit = selectors.get_public_unit(pk)
    agreements = selectors.unit_agreements(unit)
    for agreement in agreements:
        results = selectors.verified_results(agreement.fiscal_year, unit=unit)
        agreement.public_result = results[0] if results else None
    return page("public/unit.html", request, {"unit": unit, "agreements": agreements})


@require_safe
def public_language(request, code):
    """Thai or English for the public pages, by a link (a public page carries no form, so no CSRF token
    that a cached copy would hand to the next visitor). Only the language cookie is set."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = request.GET.get("next", "")
    if not (target.startswith("/public/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None)):
        target = reverse("public_home")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


ROBOTS = """User-agent: *
Allow: /public/
Disallow: /public/manage/
Disallow: /public/language/
Disallow: /
"""


@require_safe
def robots_txt(request):
    """Search engines may index the public pages; everything else is behind a log-in."""
    return HttpResponse(ROBOTS, content_type="text/plain; charset=utf-8")

"""The read-only JSON API under /api/v1/ (django-ninja): its schema at openapi.json, its interactive
documentation at docs/, both served with no CDN (Swagger UI comes from django-ninja's static files)."""

from django.views.decorators.http import require_GET
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.openapi.docs import Swagger

from . import endpoints, public
from .auth import PerMinute, TokenAuth

DESCRIPTION = """
Thai government performance agreements, read-only: units, fiscal years and calendars, frameworks, agreements,
round reports, e-SAR cards and scorecards.

**Signed-in endpoints** need a personal token (`Authorization: Bearer kpi_…`), made on your profile page
(*API tokens*); each answers exactly what you can read in the browser. **Public endpoints** (`/public/…`) need
none and serve what the public pages show.

Decimals are strings with 4 places (`"3.4500"`); dates ISO 8601. Lists are paginated: `page` from 1,
`page_size` up to 200; the answer is `{"items": [...], "count": n}`, and a page past the end is empty.
Errors: 400 a parameter of the wrong type (its name in `errors`), 401 a missing, unknown or revoked token,
404 what does not exist or is not yours to read, 429 too many requests a minute (see `Retry-After`).
"""


class Docs(Swagger):
    """Swagger UI from django-ninja's static files, started by its own script file (the Content Security
    Policy allows no inline script); no validator badge, which would load an image from outside."""

    template = "api/docs.html"

    def __init__(self):
        super().__init__(settings={"validatorUrl": None, "tryItOutEnabled": True})


api = NinjaAPI(
    title="KPI Agreements API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs=Docs(),
    docs_url="/docs/",
    docs_decorator=require_GET,
    auth=TokenAuth(),
    throttle=PerMinute(),
)
api.add_router("/public", public.router, auth=None)
api.add_router("/", endpoints.router)


@api.exception_handler(ValidationError)
def bad_parameter(request, exc: ValidationError):
    """400, naming each parameter at fault (django-ninja answers 422 by default)."""
    errors = []
    for error in exc.errors:
        names = [str(part) for part in error.get("loc", ()) if isinstance(part, str)]
        field = names[-1] if names else ""
        if field in ("query", "path", "filters", "pagination") and len(names) == 1:
            field = ""
        errors.append({"field": field, "message": error.get("msg", "")})
    fields = ", ".join(sorted({e["field"] for e in errors if e["field"]}))
    return api.create_response(
        request,
        {"detail": f"Invalid value for: {fields}" if fields else "Invalid request", "errors": errors},
        status=400,
    )

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def health(request):
    """Liveness for the container health checks: the database answers.

    Behind HTTPS=true the probe must look like the TLS proxy (a Host from ALLOWED_HOSTS and
    X-Forwarded-Proto: https), else SecurityMiddleware refuses or redirects it before this view runs.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

"""Who is asking, and how often.

A request with ``Authorization: Bearer <token>`` is that token's person's, or refused (401) when the token is
unknown, revoked or its person inactive. A request without the header falls back to the browser's session,
so the documentation page's "Try it out" works for someone signed in. Either way ``request.user`` becomes the
person, and every endpoint reads through that person's access helpers.

Requests are counted per token (per person for a session, per client address on the public endpoints) in
fixed one-minute windows of Django's cache: past ``settings.API_RATE_PER_MINUTE`` the answer is 429 with
Retry-After.
"""

import time

from django.conf import settings
from django.core.cache import cache
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from kpi_agreements.core.security import client_ip

from .models import ApiToken
from .services import token_used

WINDOW = 60


class TokenAuth(HttpBearer):
    def __call__(self, request):
        header = request.headers.get("Authorization")
        if header:
            scheme, _space, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                return None
            return self.authenticate(request, secret.strip())
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            request.api_token = None
            return user
        return None

    def authenticate(self, request, token):
        row = (
            ApiToken.objects.select_related("person")
            .filter(token_hash=ApiToken.hash(token), revoked_at__isnull=True, person__is_active=True)
            .first()
        )
        if row is None:
            return None
        token_used(row)
        request.api_token = row
        request.user = row.person
        return row.person


class PerMinute(BaseThrottle):
    """A fixed-window counter per token, person or client address."""

    def allow_request(self, request) -> bool:
        token = getattr(request, "api_token", None)
        user = getattr(request, "auth", None)
        if token is not None:
            who = f"token:{token.pk}"
        elif user is not None:
            who = f"person:{user.pk}"
        else:
            who = f"address:{client_ip(request)}"
        key = f"api-rate:{who}:{int(time.time() // WINDOW)}"
        cache.add(key, 0, WINDOW * 2)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, WINDOW * 2)
            count = 1
        return count <= settings.API_RATE_PER_MINUTE

    def wait(self) -> float:
        return WINDOW - time.time() % WINDOW

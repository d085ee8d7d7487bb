"""Making and revoking personal API tokens."""

from django.db import transaction
from django.utils import timezone

from .models import ApiToken

# A token's last use is written at most this often: a program reading every minute costs no write per call.
LAST_USED_EVERY_SECONDS = 60


def token_create(*, person, name: str) -> tuple[ApiToken, str]:
    """A new token for ``person``; the secret is returned once and never stored."""
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        person=person, name=name.strip()[:100], token_hash=ApiToken.hash(secret), hint=secret[:8]
    )
    return token, secret


def token_revoke(*, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


def token_used(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= LAST_USED_EVERY_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now

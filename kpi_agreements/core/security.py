"""Login throttling (django-axes): lock out by username and address, say why on the login page."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils.translation import gettext as _


class ThrottledLogin(AxesStandaloneBackend):
    """Refuses a locked-out username from the address it failed from.

    Only a web request has an address to lock out; the test client and the shell call ``authenticate``
    without one, and those go on to the model backend unthrottled.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str | None:
    # Behind the TLS proxy of docs/deploy.md every request comes from the proxy; the proxy appends the
    # client's address as the last X-Forwarded-For entry (anything before it the client may have written).
    if settings.HTTPS:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")


def locked_out(request, original_response=None, credentials=None):
    """The login page again, with the reason and when to try again, instead of a bare 429 text."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed log-ins for this account from your address. Try again in %(minutes)s minutes, "
        "or ask an administrator to unlock the account."
    ) % {"minutes": minutes}
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout": message, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)

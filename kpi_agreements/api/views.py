"""The person's own API tokens (linked from their profile page): made and revoked by them alone; a new
token's secret is shown once, on the answer to the request that made it, and never stored."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import TokenForm
from .models import ApiToken


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        _token, secret = services.token_create(person=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    response = render(
        request,
        "api/tokens.html",
        {"tokens": ApiToken.objects.filter(person=request.user), "form": form, "secret": secret},
        status=400 if form.errors else 200,
    )
    add_never_cache_headers(response)  # the page may hold a secret
    return response


@login_required
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, person=request.user)
    services.token_revoke(token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens")

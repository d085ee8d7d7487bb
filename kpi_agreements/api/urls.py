"""/api/v1/: the JSON API (api.py); /api/tokens/: the person's own tokens."""

from django.urls import path

from . import views
from .api import api

urlpatterns = [
    path("v1/", api.urls),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]

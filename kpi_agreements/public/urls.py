"""The public pages under /public/ and the planning staff's publication pages under /public/manage/."""

from django.urls import path

from . import publishing, views

urlpatterns = [
    path("", views.public_home, name="public_home"),
    path("<int:be_year>/", views.public_year, name="public_year"),
    path("<int:be_year>/results/", views.public_results, name="public_results"),
    path("<int:be_year>/units/<int:unit_pk>/", views.public_agreement, name="public_agreement"),
    path(
        "<int:be_year>/units/<int:unit_pk>/agreement.pdf",
        views.public_agreement_pdf,
        name="public_agreement_pdf",
    ),
    path("units/", views.public_units, name="public_units"),
    path("units/<int:pk>/", views.public_unit, name="public_unit"),
    path("language/<str:code>/", views.public_language, name="public_language"),
    path("manage/", publishing.publication_home, name="publication_home"),
    path("manage/years/<int:pk>/", publishing.publication_year, name="publication_year"),
    path("manage/years/<int:pk>/units/<int:unit_pk>/", publishing.publication_unit, name="publication_unit"),
    path("manage/years/<int:pk>/all/", publishing.publication_all, name="publication_all"),
]

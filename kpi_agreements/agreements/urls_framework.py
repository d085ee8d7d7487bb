from django.urls import path

from . import views_framework as views

urlpatterns = [
    path("years/<int:pk>/framework/", views.framework_detail, name="framework_detail"),
    path("years/<int:pk>/framework/dimensions/", views.framework_dimensions, name="framework_dimensions"),
    path("years/<int:pk>/framework/copy/", views.framework_copy, name="framework_copy"),
    path("years/<int:pk>/framework/mandatory/new/", views.mandatory_kpi_edit, name="mandatory_kpi_create"),
    path(
        "years/<int:pk>/framework/mandatory/<int:mpk>/", views.mandatory_kpi_edit, name="mandatory_kpi_edit"
    ),
    path(
        "years/<int:pk>/framework/mandatory/<int:mpk>/delete/",
        views.mandatory_kpi_delete,
        name="mandatory_kpi_delete",
    ),
    path("years/<int:pk>/framework/rules/", views.redistribution_rule_add, name="redistribution_rule_add"),
    path(
        "years/<int:pk>/framework/rules/<int:rpk>/remove/",
        views.redistribution_rule_remove,
        name="redistribution_rule_remove",
    ),
    path("signing-rules/", views.signing_rules, name="signing_rules"),
    path("years/<int:pk>/agreements/", views.year_agreements, name="year_agreements"),
    path("years/<int:pk>/agreements/create/", views.year_agreements_create, name="year_agreements_create"),
    path("years/<int:pk>/agreements/copy/", views.year_agreement_copy, name="year_agreement_copy"),
]

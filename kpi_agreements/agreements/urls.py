from django.urls import path

from . import views

urlpatterns = [
    path("agreements/", views.agreements_home, name="agreements_home"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/plan/", views.agreement_plan_edit, name="agreement_plan_edit"),
    path("agreements/<int:pk>/parties/", views.agreement_parties_edit, name="agreement_parties_edit"),
    path("agreements/<int:pk>/kpis/new/", views.kpi_create, name="kpi_create"),
    path("kpis/<int:pk>/", views.kpi_detail, name="kpi_detail"),
    path("kpis/<int:pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path("kpis/<int:pk>/move/", views.kpi_move, name="kpi_move"),
    path("kpis/<int:pk>/weight/", views.kpi_weight, name="kpi_weight"),
    path("kpis/<int:pk>/delete/", views.kpi_delete, name="kpi_delete"),
    path("years/<int:pk>/cascade/", views.cascade_map, name="cascade_map"),
]

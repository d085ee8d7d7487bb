from django.urls import path

from . import views, views_change, views_workflow

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
    # Workflow: negotiation and signing
    path("agreements/<int:pk>/submit/", views_workflow.agreement_submit, name="agreement_submit"),
    path(
        "agreements/<int:pk>/revision/", views_workflow.agreement_request_revision, name="agreement_revision"
    ),
    path("agreements/<int:pk>/approve/", views_workflow.agreement_approve, name="agreement_approve"),
    path("agreements/<int:pk>/sign/<int:party_pk>/", views_workflow.agreement_sign, name="agreement_sign"),
    path("kpis/<int:pk>/comments/", views_workflow.kpi_comment_add, name="kpi_comment_add"),
    path("kpis/<int:pk>/proposals/new/", views_workflow.proposal_add, name="proposal_add"),
    path("proposals/<int:pk>/decide/", views_workflow.proposal_decide, name="proposal_decide"),
    path("committee/queue/", views_workflow.committee_queue, name="committee_queue"),
    # Change requests and versions
    path("agreements/<int:pk>/changes/new/", views_change.change_create, name="change_create"),
    path("changes/<int:pk>/", views_change.change_detail, name="change_detail"),
    path("changes/<int:pk>/items/", views_change.change_item_add, name="change_item_add"),
    path(
        "changes/<int:pk>/items/<int:item_pk>/remove/",
        views_change.change_item_remove,
        name="change_item_remove",
    ),
    path("changes/<int:pk>/evidence/", views_change.change_evidence_add, name="change_evidence_add"),
    path(
        "changes/<int:pk>/evidence/<int:evidence_pk>/",
        views_change.change_evidence_download,
        name="change_evidence_download",
    ),
    path("changes/<int:pk>/submit/", views_change.change_submit, name="change_submit"),
    path("changes/<int:pk>/decide/", views_change.change_decide, name="change_decide"),
    path("agreements/<int:pk>/versions/", views_change.agreement_versions, name="agreement_versions"),
    path(
        "agreements/<int:pk>/versions/<int:number>/",
        views_change.agreement_versions,
        name="agreement_version",
    ),
]

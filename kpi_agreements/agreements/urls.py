"""Every URL of agreements: the editor, negotiation and signing, change requests, the framework, Excel."""

from django.urls import path

from kpi_agreements.agreements.views import changes, editor, excel, framework, negotiation

urlpatterns = [
    path("agreements/", editor.agreements_home, name="agreements_home"),
    path("agreements/<int:pk>/", editor.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/plan/", editor.agreement_plan_edit, name="agreement_plan_edit"),
    path("agreements/<int:pk>/parties/", editor.agreement_parties_edit, name="agreement_parties_edit"),
    path("agreements/<int:pk>/kpis/new/", editor.kpi_create, name="kpi_create"),
    path("kpis/<int:pk>/", editor.kpi_detail, name="kpi_detail"),
    path("kpis/<int:pk>/edit/", editor.kpi_edit, name="kpi_edit"),
    path("kpis/<int:pk>/move/", editor.kpi_move, name="kpi_move"),
    path("kpis/<int:pk>/weight/", editor.kpi_weight, name="kpi_weight"),
    path("kpis/<int:pk>/delete/", editor.kpi_delete, name="kpi_delete"),
    path("years/<int:pk>/cascade/", editor.cascade_map, name="cascade_map"),
    # Workflow: negotiation and signing
    path("agreements/<int:pk>/submit/", negotiation.agreement_submit, name="agreement_submit"),
    path("agreements/<int:pk>/revision/", negotiation.agreement_request_revision, name="agreement_revision"),
    path("agreements/<int:pk>/approve/", negotiation.agreement_approve, name="agreement_approve"),
    path("agreements/<int:pk>/sign/<int:party_pk>/", negotiation.agreement_sign, name="agreement_sign"),
    path("kpis/<int:pk>/comments/", negotiation.kpi_comment_add, name="kpi_comment_add"),
    path("kpis/<int:pk>/proposals/new/", negotiation.proposal_add, name="proposal_add"),
    path("proposals/<int:pk>/decide/", negotiation.proposal_decide, name="proposal_decide"),
    path("committee/queue/", negotiation.committee_queue, name="committee_queue"),
    # Change requests and versions
    path("agreements/<int:pk>/changes/new/", changes.change_create, name="change_create"),
    path("changes/<int:pk>/", changes.change_detail, name="change_detail"),
    path("changes/<int:pk>/items/", changes.change_item_add, name="change_item_add"),
    path(
        "changes/<int:pk>/items/<int:item_pk>/remove/",
        changes.change_item_remove,
        name="change_item_remove",
    ),
    path("changes/<int:pk>/evidence/", changes.change_evidence_add, name="change_evidence_add"),
    path(
        "changes/<int:pk>/evidence/<int:evidence_pk>/",
        changes.change_evidence_download,
        name="change_evidence_download",
    ),
    path("changes/<int:pk>/submit/", changes.change_submit, name="change_submit"),
    path("changes/<int:pk>/decide/", changes.change_decide, name="change_decide"),
    path("agreements/<int:pk>/versions/", changes.agreement_versions, name="agreement_versions"),
    path(
        "agreements/<int:pk>/versions/<int:number>/",
        changes.agreement_versions,
        name="agreement_version",
    ),
    # The framework, signing rules and the year's agreements
    path("years/<int:pk>/framework/", framework.framework_detail, name="framework_detail"),
    path("years/<int:pk>/framework/dimensions/", framework.framework_dimensions, name="framework_dimensions"),
    path("years/<int:pk>/framework/copy/", framework.framework_copy, name="framework_copy"),
    path(
        "years/<int:pk>/framework/mandatory/new/", framework.mandatory_kpi_edit, name="mandatory_kpi_create"
    ),
    path(
        "years/<int:pk>/framework/mandatory/<int:mpk>/",
        framework.mandatory_kpi_edit,
        name="mandatory_kpi_edit",
    ),
    path(
        "years/<int:pk>/framework/mandatory/<int:mpk>/delete/",
        framework.mandatory_kpi_delete,
        name="mandatory_kpi_delete",
    ),
    path(
        "years/<int:pk>/framework/rules/", framework.redistribution_rule_add, name="redistribution_rule_add"
    ),
    path(
        "years/<int:pk>/framework/rules/<int:rpk>/remove/",
        framework.redistribution_rule_remove,
        name="redistribution_rule_remove",
    ),
    path("signing-rules/", framework.signing_rules, name="signing_rules"),
    path("years/<int:pk>/agreements/", framework.year_agreements, name="year_agreements"),
    path(
        "years/<int:pk>/agreements/create/", framework.year_agreements_create, name="year_agreements_create"
    ),
    path("years/<int:pk>/agreements/copy/", framework.year_agreement_copy, name="year_agreement_copy"),
    # Excel
    path("agreements/<int:pk>/excel/", excel.agreement_excel_download, name="agreement_excel_download"),
    path("agreements/<int:pk>/excel/upload/", excel.agreement_excel_upload, name="agreement_excel_upload"),
    path("years/<int:pk>/kpis.xlsx", excel.year_excel_export, name="year_excel_export"),
]

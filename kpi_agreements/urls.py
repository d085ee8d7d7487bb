from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kpi_agreements.core import views as core
from kpi_agreements.criteria import views as criteria
from kpi_agreements.fiscal import views as fiscal
from kpi_agreements.organisation import views as org
from kpi_agreements.organisation.pickers import person_search_view
from kpi_agreements.public.views import robots_txt
from kpi_agreements.workflow import views as workflow

urlpatterns = [
    path("", org.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz/", core.health, name="health"),
    path("calculator/", criteria.calculator, name="calculator"),
    path("notices/", workflow.notices, name="notices"),
    path("admin/", admin.site.urls),
    # Accounts
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("accounts/invitation/<str:token>/", org.invitation_accept, name="invitation_accept"),
    path("", include("kpi_agreements.agreements.urls")),
    path("", include("kpi_agreements.documents.urls")),
    path("", include("kpi_agreements.reporting.urls")),
    path("", include("kpi_agreements.reminders.urls")),
    path("", include("kpi_agreements.scorecards.urls")),
    path("public/", include("kpi_agreements.public.urls")),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("api/", include("kpi_agreements.api.urls")),
    # Organisation
    path("units/", org.unit_tree, name="unit_tree"),
    path("units/new/", org.unit_create, name="unit_create"),
    path("units/<int:pk>/", org.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", org.unit_edit, name="unit_edit"),
    path("units/<int:pk>/move/", org.unit_move, name="unit_move"),
    path("units/<int:pk>/active/", org.unit_set_active, name="unit_set_active"),
    path("people/", org.person_list, name="person_list"),
    path("people/new/", org.person_create, name="person_create"),
    path("people/search/", person_search_view, name="person_search"),
    path("people/<int:pk>/", org.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", org.person_edit, name="person_edit"),
    path("people/<int:pk>/roles/", org.person_role_add, name="person_role_add"),
    path("people/<int:pk>/roles/<int:role_pk>/remove/", org.person_role_remove, name="person_role_remove"),
    path("people/<int:pk>/reinvite/", org.person_reinvite, name="person_reinvite"),
    path("committees/", org.committee_list, name="committee_list"),
    path("committees/new/", org.committee_edit, name="committee_create"),
    path("committees/<int:pk>/", org.committee_detail, name="committee_detail"),
    path("committees/<int:pk>/edit/", org.committee_edit, name="committee_edit"),
    path("committees/<int:pk>/members/", org.committee_member_add, name="committee_member_add"),
    path(
        "committees/<int:pk>/members/<int:member_pk>/remove/",
        org.committee_member_remove,
        name="committee_member_remove",
    ),
    path("committees/<int:pk>/resolutions/", org.committee_resolution_add, name="committee_resolution_add"),
    # Fiscal years
    path("years/", fiscal.year_list, name="year_list"),
    path("years/new/", fiscal.year_create, name="year_create"),
    path("years/<int:pk>/", fiscal.year_detail, name="year_detail"),
    path("years/<int:pk>/calendar/", fiscal.milestones_edit, name="milestones_edit"),
    path("years/<int:pk>/scoring-policy/", fiscal.scoring_policy_edit, name="scoring_policy_edit"),
    path("years/<int:pk>/days/", fiscal.calendar_day_add, name="calendar_day_add"),
    path("years/<int:pk>/days/<int:day_pk>/remove/", fiscal.calendar_day_remove, name="calendar_day_remove"),
]

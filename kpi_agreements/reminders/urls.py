from django.urls import path

from . import views

urlpatterns = [
    path("years/<int:pk>/reminders/", views.reminder_policy, name="reminder_policy"),
    path("reminders/runs/", views.reminder_runs, name="reminder_runs"),
    path("reminders/runs/again/", views.reminder_run_again, name="reminder_run_again"),
]

from django.urls import path

from . import views_excel

urlpatterns = [
    path("agreements/<int:pk>/excel/", views_excel.agreement_excel_download, name="agreement_excel_download"),
    path(
        "agreements/<int:pk>/excel/upload/", views_excel.agreement_excel_upload, name="agreement_excel_upload"
    ),
    path("years/<int:pk>/kpis.xlsx", views_excel.year_excel_export, name="year_excel_export"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("agreements/<int:pk>/documents/", views.agreement_documents, name="agreement_documents"),
    path(
        "documents/<int:pk>/download/", views.agreement_document_download, name="agreement_document_download"
    ),
    path("documents/<int:pk>/again/", views.agreement_document_again, name="agreement_document_again"),
]

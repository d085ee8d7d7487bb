from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kpi_agreements.agreements.models import (
    KPI,
    Agreement,
    AgreementVersion,
    ChangeItem,
    ChangeRequest,
    Evidence,
    Party,
)
from kpi_agreements.core.admin import WorkflowReadOnly


class ReadOnlyHistoryAdmin(WorkflowReadOnly, SimpleHistoryAdmin):
    pass


class ReadOnlyAdmin(WorkflowReadOnly, admin.ModelAdmin):
    pass


for model in (Agreement, Party, KPI, ChangeRequest):
    admin.site.register(model, ReadOnlyHistoryAdmin)
for model in (ChangeItem, Evidence, AgreementVersion):
    admin.site.register(model, ReadOnlyAdmin)

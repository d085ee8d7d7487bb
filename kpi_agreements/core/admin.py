"""Rules the apps' admin pages share (DOMAIN §5: signed content changes only through the workflow)."""

from django.core.exceptions import PermissionDenied


class WorkflowReadOnly:
    """The admin may look at a workflow-governed record, never add, change or delete it: the application's
    services keep its history, versions, parties and signatures consistent; the admin would bypass them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def history_form_view(self, request, *args, **kwargs):
        # django-simple-history's "revert" page saves a POST on view permission alone.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, *args, **kwargs)


class NoDelete:
    """Signed agreements point at people and units: they are deactivated, never deleted."""

    def has_delete_permission(self, request, obj=None):
        return False

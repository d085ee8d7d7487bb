from .access import scope_of


def navigation(request):
    """What the navigation bar offers depends on the roles the user holds."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from kpi_agreements.workflow.models import Notice

    from .models import CommitteeMember

    scope = scope_of(user)
    return {
        "nav_on_committee": CommitteeMember.objects.filter(person=user).exists(),
        "nav_unread": Notice.objects.filter(recipient=user, read_at__isnull=True).count(),
        "nav_roles": scope.roles(),
        "nav_manages": scope.manages_anything(),
        "nav_is_admin": scope.is_superuser or "admin" in scope.paths,
        "nav_manages_year": scope.manages_root(),
    }

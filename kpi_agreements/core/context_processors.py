from kpi_agreements.organisation.access import scope_of


def navigation(request):
    """What the navigation bar offers depends on the roles the user holds."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_of(user)
    return {
        "nav_roles": scope.roles(),
        "nav_manages": scope.manages_anything(),
        "nav_is_admin": scope.is_superuser or "admin" in scope.paths,
        "nav_manages_year": scope.manages_root(),
    }

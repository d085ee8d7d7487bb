"""Reading query-string parameters that name objects."""

from django.http import Http404


def id_param(request, name: str) -> int | None:
    """``?name=<id>``: None when absent; a page that does not exist (404) for anything but a plain whole
    number of sensible size — never a database error on "abc", "1.5", "๑" or 10^30."""
    value = request.GET.get(name, "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 12):
        raise Http404
    return int(value)

from django import template

from kpi_agreements.core import thai

register = template.Library()


@register.filter
def be_date(value):
    return thai.be_date(value)


@register.filter
def be_date_full(value):
    return thai.be_date(value, full=True)


@register.filter
def be_date_weekday(value):
    return thai.be_date(value, weekday=True)


@register.filter
def thai_digits(value):
    return thai.thai_digits(value)


@register.filter
def local_name(value):
    """{{ dimension|local_name }}: the English name on an English page when there is one (core.thai)."""
    return thai.local_name(value) if value is not None else ""

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

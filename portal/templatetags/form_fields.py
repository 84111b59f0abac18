"""Filters for the one fields partial, templates/components/_form_fields.html."""

from django import template
from django.forms import BaseForm, BoundField

register = template.Library()


@register.filter
def fields_named(form: BaseForm, names: str) -> list[BoundField]:
    """The form's bound fields named in a space-separated list, in that order; all its visible
    fields when the list is empty."""
    if not names:
        return form.visible_fields()
    return [form[name] for name in names.split() if name in form.fields]


@register.filter
def add_class(field: BoundField, css: str) -> str:
    """The field's widget with one more CSS class (the policy fields the preview listens to)."""
    classes = f"{field.field.widget.attrs.get('class', '')} {css}".strip()
    return field.as_widget(attrs={"class": classes})

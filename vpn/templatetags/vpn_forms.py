from django import template
from django.forms import BoundField, Form

register = template.Library()


@register.filter
def fields_named(form: Form, names: str) -> list[BoundField]:
    """The form's bound fields named in a space-separated list, in that order."""
    return [form[name] for name in names.split() if name in form.fields]


@register.filter
def add_class(field: BoundField, css: str) -> str:
    classes = f"{field.field.widget.attrs.get('class', '')} {css}".strip()
    return field.as_widget(attrs={"class": classes})

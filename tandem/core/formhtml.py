"""A form renderer that writes Django's own field, label, error and widget markup in Python.

A form rendered field by field (``{{ field.as_field_group }}``) goes through five or
six of Django's form templates per field (the field group, its label, the attributes,
the error list, the widget and, for a ``<select>``, one ``{% include %}`` per option).
On the audit search's filter form (six fields, sixteen actions to choose from) that
was about a third of the page's template time. ``PythonFormRenderer`` writes the same
markup for the templates below with string formatting: the context is still built by
Django (``BoundField``, ``Widget.get_context``, ``ErrorList``: ids, ``aria-*``,
``required``, values, labels and their suffix), only the template engine is skipped.

Any other template (a fieldset, a checkbox, a textarea, a custom option template),
and any value a template would localise (a number as an option's label), goes to the
project's form renderer (``FORM_RENDERER``), so the markup is always Django's. The
markup is Django 6.1's templates byte for byte; ``core/tests/test_formhtml.py``
renders every supported template both ways for varied data (errors, escaping,
selected options, help text, other languages), so a change to Django's templates
fails there rather than changing a page.

It keeps nothing between renders: it is a function of the context it is given.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import BaseRenderer, get_default_renderer
from django.utils.functional import Promise
from django.utils.safestring import SafeData

from tandem.core.html import text

#: The single-``<input>`` widget templates written here: each is Django's
#: ``{% include "django/forms/widgets/input.html" %}`` and nothing else.
INPUT_TEMPLATES = (
    "django/forms/widgets/input.html",
    "django/forms/widgets/text.html",
    "django/forms/widgets/email.html",
    "django/forms/widgets/date.html",
)
SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
FIELD_TEMPLATE = "django/forms/field.html"
LABEL_TEMPLATE = "django/forms/label.html"
ERROR_TEMPLATES = ("django/forms/errors/list/default.html", "django/forms/errors/list/ul.html")


class NotWritten(Exception):
    """Raised by a writer for a context it does not write: the template renders it."""


def _plain(value: Any) -> str:
    """Return ``value`` as ``{{ value }}`` writes a text (escaped; numbers are not written here)."""
    if isinstance(value, str | Promise):
        return text(value)
    raise NotWritten


def _formatted(value: Any) -> str:
    """Return ``value`` as ``{{ value|stringformat:'s' }}`` writes it."""
    if isinstance(value, tuple):
        value = str(value)
    try:
        written = "%s" % value  # noqa: UP031 - the stringformat filter's own operation
    except (ValueError, TypeError):
        written = ""
    # stringformat is_safe: a safe value stays unescaped, anything else is escaped.
    return written if isinstance(value, SafeData) else html.escape(written)


def _attrs(attrs: Mapping[str, Any]) -> str:
    """Return ``attrs`` as ``django/forms/attrs.html`` (and the widgets' ``attrs.html``) write them."""
    out = []
    for name, value in attrs.items():
        if value is not False:
            out.append(" " + _plain(name))
            if value is not True:
                out.append(f'="{_formatted(value)}"')
    return "".join(out)


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value != None else ""  # noqa: E711 - the template's !=
    return (
        f'<input type="{_plain(widget["type"])}" name="{_plain(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _option(option: Mapping[str, Any]) -> str:
    if option["template_name"] != OPTION_TEMPLATE:
        raise NotWritten
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_plain(option['label'])}</option>\n"  # an included template keeps its last newline
    )


def _select(widget: Mapping[str, Any]) -> str:
    out = [f'<select name="{_plain(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_plain(group_name)}">')
        for option in group_choices:
            out.append("\n  " + _option(option))
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def _widget(context: Mapping[str, Any]) -> str:
    widget = context["widget"]
    return _select(widget) if widget["template_name"] == SELECT_TEMPLATE else _input(widget)


def _label(context: Mapping[str, Any]) -> str:
    label = _plain(context["label"])
    if not context["use_tag"]:
        return label
    tag = _plain(context["tag"])
    return f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>"


def _errors(context: Mapping[str, Any]) -> str:
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    named = f' id="{_plain(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{text(error)}</li>" for error in errors)
    return f'<ul class="{_plain(context["error_class"])}"{named}>{items}</ul>'


def _field(context: Mapping[str, Any]) -> str:
    field = context["field"]
    if field.use_fieldset:
        raise NotWritten
    label = str(field.label_tag()) if field.label else ""
    help_text = ""
    if field.help_text:
        named = f' id="{_plain(field.auto_id)}_helptext"' if field.auto_id else ""
        help_text = f'<div class="helptext"{named}>{field.help_text!s}</div>'  # |safe
    # The template's own lines and indentation, stripped as the renderer strips it.
    return f"\n  {label}\n\n{help_text}\n{text(field.errors)}\n{text(field)}\n"


WRITERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    FIELD_TEMPLATE: _field,
    LABEL_TEMPLATE: _label,
    SELECT_TEMPLATE: _widget,
    **dict.fromkeys(INPUT_TEMPLATES, _widget),
    **dict.fromkeys(ERROR_TEMPLATES, _errors),
}


class PythonFormRenderer(BaseRenderer):
    """Write the templates of ``WRITERS`` in Python; render any other through ``FORM_RENDERER``.

    Set as a form's ``default_renderer``. The fallback is the project's own renderer, so
    a form rendered here reads the templates it would have read.
    """

    @property
    def form_template_name(self) -> str:  # type: ignore[override]
        return str(get_default_renderer().form_template_name)

    @property
    def formset_template_name(self) -> str:  # type: ignore[override]
        return str(get_default_renderer().formset_template_name)

    @property
    def field_template_name(self) -> str:  # type: ignore[override]
        return str(get_default_renderer().field_template_name)

    def get_template(self, template_name: str) -> Any:
        return get_default_renderer().get_template(template_name)

    def render(self, template_name: str, context: Any, request: Any = None) -> str:
        writer = WRITERS.get(template_name)
        if writer is not None and request is None:
            try:
                return writer(context).strip()
            except NotWritten:
                pass
        return get_default_renderer().render(template_name, context, request=request)

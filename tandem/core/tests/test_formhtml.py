"""core.formhtml writes Django's form markup byte for byte, and leaves what it does not write to Django."""

from contextlib import contextmanager

import pytest
from django import forms
from django.forms.renderers import get_default_renderer
from django.test.signals import template_rendered
from django.utils import translation
from django.utils.safestring import mark_safe

from tandem.core.formhtml import PythonFormRenderer


class Everything(forms.Form):
    """A form with every widget the renderer writes, and some it leaves to Django."""

    kind = forms.ChoiceField(
        choices=[("", "Any <kind>"), ("a&b", "A & B"), ("q", 'Say "hi"')], required=False
    )
    grouped = forms.ChoiceField(
        label="Grouped?",  # ends in punctuation: no suffix
        choices=[("x", "Plain"), ("Group <1>", [("g1", "One"), ("g2", "Two")])],
    )
    several = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], required=False)
    email = forms.EmailField(label="Who <email>", help_text="Theirs & <b>yours</b>")
    text = forms.CharField(max_length=10, required=False, disabled=False)
    locked = forms.CharField(required=False, disabled=True, initial="kept")
    day = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date", "data-x": True})
    )
    flag = forms.CharField(required=False, widget=forms.TextInput(attrs={"hidden": False}))
    # written by Django's templates (fieldset, textarea, checkbox, a number as a label)
    radio = forms.ChoiceField(choices=[("r", "R")], widget=forms.RadioSelect, required=False)
    notes = forms.CharField(widget=forms.Textarea, required=False)
    agree = forms.BooleanField(required=False)
    count = forms.ChoiceField(choices=[(1, 1000), (2, 2000)], required=False)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        self.add_error(None, "Something <wrong> & “quoted”.")
        self.add_error(None, mark_safe("Already <em>safe</em>."))
        return cleaned


BOUND = {
    "kind": "a&b",
    "grouped": "g2",
    "several": ["1", "2"],
    "email": "o'brien&<x>",
    "text": 'a"very<long>&value',
    "day": "2026-13-45",
    "flag": "<script>",
    "radio": "r",
    "notes": "</textarea>",
    "agree": "on",
    "count": "2",
}


def _page(form: forms.Form) -> str:
    """Return every way a page writes a form: field groups, labels, widgets, errors, the form."""
    parts = [str(form.non_field_errors()), str(form.errors), form.as_div(), form.as_p()]
    for field in form:
        parts += [field.as_field_group(), field.label_tag(), str(field), str(field.errors)]
    return "\n".join(parts)


@pytest.mark.parametrize("data", [None, {}, BOUND], ids=["unbound", "empty", "bound"])
@pytest.mark.parametrize("language", ["en-us", "fr", "de"])
def test_every_template_it_writes_is_the_html_django_renders(data, language):
    # Given a form rendered by Django's own renderer and the same one rendered here,
    # unbound, with required fields missing, and with values to escape and errors
    with translation.override(language):
        django_made = Everything(data, auto_id="id_%s", renderer=get_default_renderer())
        written = Everything(data, auto_id="id_%s", renderer=PythonFormRenderer())
        if data is not None:
            assert not django_made.is_valid()
            assert not written.is_valid()

        # When each is written out every way a template can ask for it
        # Then the HTML is the same, byte for byte
        assert _page(written) == _page(django_made)


def test_without_ids_labels_are_plain_text_and_the_same():
    # Given forms without automatic ids (labels are then no <label> tags)
    django_made = Everything(BOUND, auto_id=False, renderer=get_default_renderer())
    written = Everything(BOUND, auto_id=False, renderer=PythonFormRenderer())

    # Then they are written alike too
    assert _page(written) == _page(django_made)


@contextmanager
def _templates_rendered():
    names: list[str] = []

    def seen(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(seen)
    try:
        yield names
    finally:
        template_rendered.disconnect(seen)


def test_the_widgets_it_knows_go_through_no_template_and_the_others_do():
    # Given a bound form with errors
    form = Everything(BOUND, renderer=PythonFormRenderer())
    form.is_valid()

    # When the fields it writes are rendered, no template is
    with _templates_rendered() as names:
        for name in ("kind", "grouped", "several", "email", "text", "day", "flag"):
            form[name].as_field_group()
        str(form.non_field_errors())
    assert names == []

    # and the others still go through Django's templates
    with _templates_rendered() as names:
        for name in ("radio", "notes", "agree", "count"):
            form[name].as_field_group()
    assert "django/forms/widgets/radio.html" in names
    assert "django/forms/widgets/textarea.html" in names
    assert "django/forms/widgets/checkbox.html" in names
    assert "django/forms/widgets/select.html" in names  # a number as an option's label

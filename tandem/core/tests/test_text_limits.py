"""Every free-text field has a length limit, enforced on the server and stated next to it."""

import importlib
import inspect

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import reverse

from tandem.care.models import Message
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http, text

FORM_MODULES = [
    f"tandem.{app}.{module}"
    for app in (
        "accounts",
        "audit.reports",
        "care",
        "clients",
        "consent",
        "intake",
        "measures",
        "organisations",
        "referrals",
        "scheduling",
    )
    for module in ("forms", "settings_forms")
] + [
    # care's forms live in its sub-domain packages
    f"tandem.care.{package}.forms"
    for package in ("notes", "medications", "checkins", "messaging", "crisis", "visits")
]
#: Model text that no one types into a form: fixed wording and frozen copies of it.
NOT_TYPED = {
    "consent.ReleaseFormText.body",
    "consent.Release.signed_text",
    # The 42 CFR 2.32 notice as shown with a disclosure: Tandem's own fixed text.
    "consent.Disclosure.part2_notice_text",
}
#: Declared by allauth's signup form and removed by it: accounts have no username here.
NOT_SHOWN = {"tandem.organisations.forms.SignupForm.username"}


def _form_classes():
    for name in FORM_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.Form) and cls.__module__ == name:
                yield cls


def _free_text_fields():
    from tandem.care.crisis.forms import SafetyPlanForm

    for cls in _form_classes():
        fields = dict(cls.base_fields)
        if cls is SafetyPlanForm:
            fields = SafetyPlanForm(initial={}).fields
        for field_name, field in fields.items():
            if type(field) is forms.CharField and not isinstance(
                field.widget, forms.HiddenInput | forms.PasswordInput
            ):
                yield f"{cls.__module__}.{cls.__name__}.{field_name}", field


def test_every_free_text_form_field_has_a_limit_and_says_it_when_it_is_a_text_area():
    unlimited = [
        name
        for name, field in _free_text_fields()
        if field.max_length is None and name not in NOT_SHOWN
    ]
    unsaid = [
        name
        for name, field in _free_text_fields()
        if isinstance(field.widget, forms.Textarea)
        and field.max_length is not None
        and f"Up to {field.max_length:,} characters" not in str(field.help_text)
    ]
    assert unlimited == []
    assert unsaid == []


def test_every_text_column_people_type_into_has_a_limit():
    unlimited = [
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for model in apps.get_models()
        if model.__module__.startswith("tandem.")
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and field.max_length is None
    ]
    assert sorted(set(unlimited) - NOT_TYPED) == []


@pytest.mark.django_db
def test_a_message_body_of_megabytes_is_refused_with_the_limit_and_nothing_is_stored():
    # Given a therapist on the client's messages page
    world = CareWorld()
    path = reverse("care:threads", kwargs={"client_id": world.client.public_id})
    page = http(world.therapist).get(path)
    assert "Up to 10,000 characters." in text(page)

    # When they send a 2.4 MB message body
    response = http(world.therapist).post(path, {"subject": "Labs", "body": "x" * 2_400_000})

    # Then it is refused naming the field and the limit, and no message is stored
    assert response.status_code == 200
    assert "Ensure this value has at most 10000 characters (it has 2400000)." in text(response)
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_a_referral_packet_field_over_its_limit_is_refused_with_the_limit(client):
    from tandem.referrals.tests.factories import ReferralWorld

    # Given a therapist drafting a referral
    world = ReferralWorld()
    referral = world.start()
    client.force_login(world.therapist)
    url = reverse("referrals:edit", kwargs={"referral_id": referral.public_id})
    assert "Up to 4,000 characters." in text(client.get(url))

    # When they save a treatment history longer than the limit
    response = client.post(url, {"treatment_history": "y" * 4001, "action": "save"})

    # Then it is refused with the limit, and the stored history is unchanged
    assert response.status_code == 400
    assert "Treatment history and response: Up to 4,000 characters; this has 4,001." in text(
        response
    )
    referral.refresh_from_db()
    assert referral.treatment_history == ""


@pytest.mark.django_db
def test_contact_preferences_over_their_limit_are_refused_not_cut(client):
    from tandem.referrals.tests.factories import ReferralWorld

    # Given a therapist drafting a referral whose contact preferences are already saved
    world = ReferralWorld()
    referral = world.start()
    referral.contact_preferences = "Phone, mornings."
    referral.save(update_fields=["contact_preferences"])
    client.force_login(world.therapist)
    url = reverse("referrals:edit", kwargs={"referral_id": referral.public_id})

    # When a request (not the browser, whose field stops at 300) sends 301 characters
    response = client.post(url, {"contact_preferences": "z" * 301, "action": "save"})

    # Then it is refused naming the field and the limit, and what was saved is kept
    assert response.status_code == 400
    assert "How the practice should reach you: Up to 300 characters; this has 301." in text(
        response
    )
    referral.refresh_from_db()
    assert referral.contact_preferences == "Phone, mornings."

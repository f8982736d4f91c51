"""Searchable pickers: medications (with RxCUI) and ICD-10-CM codes, one component for both.

The field under each picker stays a plain select or input, so the forms work without
JavaScript; with HTMX, the search box fills it.
"""

import re

import pytest
from django.urls import reverse

from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http, text

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _picks(body: str) -> list[str]:
    return re.findall(r'data-pick="([^"]+)"', body)


def test_the_medication_form_offers_the_search_over_a_select_that_works_without_js():
    world = CareWorld()

    page = (
        http(world.prescriber)
        .get(reverse("care:medications", args=[world.client.public_id]))
        .content.decode()
    )

    # the plain select is still the field that is posted
    assert re.search(r'<select name="drug"[^>]*id="id_drug"', page)
    assert '<option value="sertraline">sertraline (SSRI)</option>' in page
    # and the picker around it searches the medication list
    assert 'data-picker-for="id_drug"' in page
    assert f'hx-get="{reverse("care:drug_search")}"' in page


def test_searching_medications_returns_choices_with_their_rxnorm_codes():
    world = CareWorld()

    response = http(world.prescriber).get(
        reverse("care:drug_search"), {"picker_q": "sertra"}, **HTMX
    )

    assert _picks(response.content.decode()) == ["sertraline"]
    assert "RxCUI 36437" in text(response)
    assert "<html" not in response.content.decode()  # a fragment, for the picker


def test_searching_by_class_finds_every_drug_of_it_and_a_miss_says_so():
    world = CareWorld()
    browser = http(world.prescriber)

    ssris = browser.get(reverse("care:drug_search"), {"picker_q": "ssri"}, **HTMX)
    nothing = browser.get(reverse("care:drug_search"), {"picker_q": "qzx"}, **HTMX)

    assert _picks(ssris.content.decode()) == [
        "citalopram",
        "escitalopram",
        "fluoxetine",
        "fluvoxamine",
        "paroxetine",
        "sertraline",
    ]
    assert "Nothing matches “qzx”" in text(nothing)


def test_the_drug_search_is_a_page_without_htmx_and_refused_to_those_who_are_not_clinicians():
    world = CareWorld()

    page = http(world.prescriber).get(reverse("care:drug_search"), {"q": "lithium"})
    # therapists name a client's medications in a referral (the editor's picker)
    therapist = http(world.therapist).get(reverse("care:drug_search"), {"q": "lithium"})
    admin = http(world.admin).get(reverse("care:drug_search"), {"q": "lithium"})
    client = http(world.client_user).get(reverse("care:drug_search"), {"q": "lithium"})

    assert page.status_code == therapist.status_code == 200
    assert "Find a medication" in text(page)
    assert "lithium" in text(page)
    assert admin.status_code == client.status_code == 404


def test_the_consult_note_chooses_icd10_codes_with_the_same_picker(django_assert_num_queries):
    world = CareWorld()
    browser = http(world.prescriber)

    page = browser.get(reverse("care:note_new", args=[world.client.public_id])).content.decode()
    browser.get(reverse("referrals:icd10"), {"picker_q": "panic"}, **HTMX)  # warm the session
    # The code list is in memory: the session and the role check only, however many match
    # (the session, the user with their second factor and client record, the memberships;
    # was 5 before the user came with their factor and record: tandem.accounts.backends).
    with django_assert_num_queries(3):
        found = browser.get(reverse("referrals:icd10"), {"picker_q": "panic"}, **HTMX)
    with django_assert_num_queries(3):
        many = browser.get(reverse("referrals:icd10"), {"picker_q": "f"}, **HTMX)

    assert 'data-picker-for="id_diagnoses"' in page
    assert "data-picker-multiple" in page
    assert f'hx-get="{reverse("referrals:icd10")}"' in page
    assert "F41.0" in _picks(found.content.decode())
    assert "Panic disorder" in text(found)
    assert len(_picks(many.content.decode())) == 20


def test_a_code_typed_wrong_without_js_is_refused_with_a_message_pointing_at_the_search():
    world = CareWorld()

    response = http(world.prescriber).post(
        reverse("care:note_new", args=[world.client.public_id]),
        {"diagnoses": "F41.0, Q99.ZZ", "save": "1"},
    )

    assert response.status_code == 200
    assert (
        "Not a billable ICD-10-CM code Tandem accepts: Q99.ZZ. "
        "Search for the right one under the field (by name or code)."
    ) in text(response)

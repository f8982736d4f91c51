"""The referral editor chooses ICD-10-CM codes and medication names with the same picker.

The picker (tandem/core/pickers.py) is the consult note's and the medication form's: a plain
field that works without JavaScript, and, with HTMX, a search box whose results fill it.
"""

import re

import pytest
from django.urls import reverse

from tandem.referrals.tests.factories import ReferralWorld
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def http(user) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def test_the_editor_puts_the_shared_picker_on_codes_and_on_every_medication_name():
    world = ReferralWorld()
    referral = world.start()
    edit = reverse("referrals:edit", kwargs={"referral_id": referral.public_id})
    browser = http(world.therapist)
    browser.post(
        edit, {"med-0-name": "Sertraline", "med-0-dose": "50 mg", "med-0-kind": "psychiatric"}
    )

    page = browser.get(edit).content.decode()

    # the codes picker: a typed, comma-separated field searched in ICD-10-CM
    assert 'data-picker-for="add_diagnoses" data-picker-multiple' in page
    assert f'hx-get="{reverse("referrals:icd10")}"' in page
    assert re.search(r'<input type="text" name="add_diagnoses"[^>]*id="add_diagnoses"', page)
    # each medication row's name (the saved one and the empty one) searches the medication list
    assert 'data-picker-for="med-0-name"' in page
    assert 'data-picker-for="med-1-name"' in page
    assert re.search(r'name="med-0-name" value="Sertraline"', page)
    assert page.count(f'hx-get="{reverse("care:drug_search")}"') == 2


def test_without_javascript_typed_codes_are_added_and_an_unknown_one_is_refused_by_name():
    world = ReferralWorld()
    referral = world.start()
    edit = reverse("referrals:edit", kwargs={"referral_id": referral.public_id})
    browser = http(world.therapist)

    browser.post(edit, {"add_diagnoses": "f41.1, F32.1"})
    referral.refresh_from_db()
    assert referral.diagnoses == ["F41.1", "F32.1"]

    refused = browser.post(edit, {"diagnoses": ["F41.1", "F32.1"], "add_diagnoses": "Z99.999"})
    assert refused.status_code == 400
    assert "Z99.999" in refused.content.decode()
    referral.refresh_from_db()
    assert referral.diagnoses == ["F41.1", "F32.1"]


def test_the_therapist_searches_codes_and_medications_from_the_pickers():
    world = ReferralWorld()
    browser = http(world.therapist)

    codes = browser.get(reverse("referrals:icd10"), {"picker_q": "apnea"}, **HTMX)
    drugs = browser.get(reverse("care:drug_search"), {"picker_q": "sertra"}, **HTMX)

    assert 'data-pick="G47.33"' in codes.content.decode()
    assert 'data-pick="sertraline"' in drugs.content.decode()
    assert "RxCUI 36437" in drugs.content.decode()

"""The curl examples of docs/fhir.md, run in order with bash and curl against a live Tandem."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tandem.care.notes import actions as note_actions
from tandem.care.tests.factories import CareWorld
from tandem.fhir.tests.factories import SECRET, system_client
from tandem.referrals import actions as referral_actions
from tandem.referrals.models import Referral

DOC = Path(__file__).resolve().parents[3] / "docs" / "fhir.md"
BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text())


def _run(block: str, env: dict[str, str], workdir: Path) -> str:
    state = workdir / "state.sh"
    script = (
        "set -euo pipefail\nset -a\n"
        f"[ -f {state} ] && source {state}\n"
        f"{block}\n"
        f"export -p | grep -E '^declare -x (TOKEN|REFERRAL_ID)=' > {state} || true\n"
    )
    done = subprocess.run(  # noqa: S603
        ["/bin/bash", "-c", script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{block}\nfailed: {done.stderr}\n{done.stdout}"
    return done.stdout


def test_the_docs_have_an_example_for_each_step():
    answers = [re.match(r"# answers: (\w+)", b) for b in blocks()]
    assert [a.group(1) if a else None for a in answers] == [
        "token",
        "CapabilityStatement",
        None,  # writes referral.json
        "Bundle",
        "Task",
        "Bundle",
        "Bundle",
        "Bundle",  # signed releases
        "OperationOutcome",
    ]


@pytest.mark.django_db(transaction=True)
def test_every_curl_example_in_the_docs_works_against_a_live_server(live_server, tmp_path):
    assert shutil.which("curl"), "the docs' examples need curl (apt-get install curl)"
    world = CareWorld()
    system = system_client(world.therapist, scopes="system/*.read system/*.write")
    env = {
        "PATH": os.environ["PATH"],
        "TANDEM": live_server.url,
        "CLIENT_ID": system.application.client_id,
        "CLIENT_SECRET": SECRET,
        "PATIENT_ID": str(world.client.public_id),
        "PRACTICE_ID": str(world.psychiatry.public_id),
    }
    answers = []
    for block in blocks():
        if "/fhir/Task/" in block:
            # Meanwhile the practice accepts the referral on its pages and the prescriber
            # signs the consult note.
            referral = Referral.objects.get()
            referral_actions.accept(
                actor=world.coordinator, referral=referral, assigned_prescriber=world.prescriber
            )
            note_actions.sign_and_send(actor=world.prescriber, note=world.draft_note())
        out = _run(block, env, tmp_path)
        expected = re.match(r"# answers: (\w+)", block)
        if expected is None:
            assert out == ""
            continue
        answer = json.loads(out.strip().splitlines()[0] if expected.group(1) == "token" else out)
        answers.append(answer)
        if expected.group(1) == "token":
            assert "access_token" in answer
        else:
            assert answer["resourceType"] == expected.group(1), answer

    token, metadata, sent, task, tasks, notes, releases, refused = answers
    assert metadata["fhirVersion"] == "4.0.1"
    assert [e["response"]["status"] for e in sent["entry"]] == ["201 Created", "201 Created"]
    assert (task["status"], task["businessStatus"]["text"]) == ("accepted", "accepted")
    assert [e["resource"]["id"] for e in tasks["entry"]] == [task["id"]]
    assert notes["total"] == 1
    assert notes["entry"][0]["resource"]["type"]["coding"][0]["code"] == "11488-4"
    assert str(world.release.public_id) in {e["resource"]["id"] for e in releases["entry"]}
    assert {e["resource"]["type"]["coding"][0]["code"] for e in releases["entry"]} == {"59284-0"}
    assert refused["issue"][0]["code"] == "forbidden"
    assert "Consent" not in token["scope"]

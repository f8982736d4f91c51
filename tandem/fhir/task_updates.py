"""A Task update from the receiving side's EHR: the referral moves on, as from the web page.

Each Task.status Tandem accepts is one of the referral's named actions
(``referrals.actions``), with the version from ``If-Match``: a stale update
changes nothing and answers 412.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

from tandem.fhir import codes
from tandem.fhir.validation import InvalidResource, Problem, parse
from tandem.referrals import actions
from tandem.referrals.access import referral_for
from tandem.referrals.models import DeclineReason, Referral
from tandem.referrals.states import StaleReferralError, TransitionError

DECLINE_REASON = codes.DECLINE_REASON
_ETAG = re.compile(r'^(W/)?"(\d+)"$')


class PreconditionFailed(Exception):
    """The If-Match version is not the referral's current one."""


class PreconditionRequired(Exception):
    """An update without If-Match: Tandem does not overwrite blindly."""


def expected_version(if_match: str) -> int:
    found = _ETAG.match(if_match.strip())
    if not if_match:
        raise PreconditionRequired('Send If-Match: W/"<versionId>" from your last read.')
    if found is None:
        raise InvalidResource([Problem("If-Match", 'If-Match is W/"<versionId>".')])
    return int(found.group(2))


def _decline_reason(task: dict[str, Any]) -> str:
    for coding in (task.get("statusReason") or {}).get("coding", []):
        if coding.get("system") == DECLINE_REASON and coding.get("code") in DeclineReason.values:
            return str(coding["code"])
    raise InvalidResource(
        [
            Problem(
                "Task.statusReason",
                f"Say why with a {DECLINE_REASON} code: {', '.join(DeclineReason.values)}.",
                "required",
            )
        ]
    )


def update_task(actor: Any, public_id: Any, body: Any, if_match: str) -> Referral:
    """Move the referral to the state ``body``'s Task.status names; return it."""
    task = parse(body, "Task")
    version = expected_version(if_match)
    referral = referral_for(actor, public_id)
    if str(task.get("id", "")) != str(referral.public_id):
        raise InvalidResource([Problem("Task.id", "The Task's id is the one in the URL.")])
    target = task.get("status")
    note = str((task.get("note") or [{}])[0].get("text", ""))
    moves = {
        "received": lambda: actions.receive(
            actor=actor, referral=referral, note=note, expected_version=version
        ),
        "accepted": lambda: actions.accept(
            actor=actor, referral=referral, note=note, expected_version=version
        ),
        "rejected": lambda: actions.decline(
            actor=actor,
            referral=referral,
            decline_reason=_decline_reason(task),
            note=note,
            expected_version=version,
        ),
        "completed": lambda: actions.close(
            actor=actor, referral=referral, note=note, expected_version=version
        ),
        "cancelled": lambda: actions.cancel(
            actor=actor, referral=referral, note=note, expected_version=version
        ),
    }
    if target == codes.TASK_STATUS[referral.status][0]:
        if version != referral.version:
            raise PreconditionFailed(_stale(referral))
        return referral  # nothing to change
    if target not in moves:
        raise InvalidResource(
            [
                Problem(
                    "Task.status",
                    f"Tandem takes these Task.status changes: {', '.join(moves)}.",
                    "not-supported",
                )
            ]
        )
    try:
        return moves[target]()
    except StaleReferralError:
        raise PreconditionFailed(_stale(referral)) from None
    except TransitionError as error:
        raise InvalidResource([Problem("Task.status", str(error), "business-rule")]) from None
    except ValidationError as error:
        raise InvalidResource(
            [
                Problem("Task.note" if field == "note" else "Task", message, "business-rule")
                for field, messages in error.message_dict.items()
                for message in messages
            ]
        ) from None


def _stale(referral: Referral) -> str:
    return (
        "The referral changed since your read (it is now version "
        f"{Referral.objects.values_list('version', flat=True).get(pk=referral.pk)}): read it again."
    )

"""The wording of each authorization (45 CFR 164.508(c)(2)), versioned.

A wording is never edited in place: change it by adding a new version here.
Releases keep a reference to the version they were prepared with, and the
signed text is frozen on the release itself.
"""

from tandem.consent.models import ReleaseFormText

CURRENT_VERSION = "2026.1"

REVOCATION = (
    "Your right to revoke: You may revoke this authorization at any time, in writing. In Tandem, "
    "open My releases and choose Revoke; or write to any practice named above. Revocation takes "
    "effect as soon as it is received, except to the extent that the parties have already acted "
    "in reliance on this authorization (information already disclosed cannot be recalled)."
)
CONDITIONING = (
    "Treatment is not conditioned on signing: Your treatment, payment, enrollment or eligibility "
    "for benefits will not depend on whether you sign this authorization."
)
REDISCLOSURE = (
    "Redisclosure: Information disclosed under this authorization may be redisclosed by the "
    "recipient and may no longer be protected by federal privacy rules (HIPAA)."
)
COPY = "You are entitled to a copy of this authorization once you sign it."

TEXTS = {
    "general": "\n\n".join([REVOCATION, CONDITIONING, REDISCLOSURE, COPY]),
    "psychotherapy_notes": "\n\n".join(
        [
            "This authorization covers psychotherapy notes only. Psychotherapy notes are your "
            "therapist's separate notes of the content of sessions; they receive extra protection "
            "and are never released under a general authorization.",
            REVOCATION,
            CONDITIONING,
            REDISCLOSURE,
            COPY,
        ]
    ),
    "part2": "\n\n".join(
        [
            "This consent covers records of substance use disorder treatment protected by federal "
            "law (42 CFR Part 2). Each disclosure made under it carries the Part 2 notice that "
            "prohibits the recipient from further disclosure unless the law permits it.",
            REVOCATION,
            CONDITIONING,
            "Redisclosure: Records disclosed under this consent may be redisclosed only as 42 CFR "
            "Part 2 and HIPAA allow.",
            COPY,
        ]
    ),
}


def current_form_text(kind: str) -> ReleaseFormText:
    """Return the current wording for ``kind``, storing it the first time it is used."""
    text, _ = ReleaseFormText.objects.get_or_create(
        kind=kind, version=CURRENT_VERSION, defaults={"body": TEXTS[kind]}
    )
    return text

"""A practice's roster brought in as a FHIR Bundle: its clients, its people and its own details.

A Bundle (``transaction`` or ``collection``) of Patient, Practitioner,
PractitionerRole and Organization resources is read in two passes:

1. **Check.** Each entry is validated with fhir.resources (``validation.parse``)
   and then against Tandem's rules (a Patient needs an identifier, a name, a birth
   date and a clinician of the practice; a Practitioner an identifier and an email
   to invite; the Organization must be the importing practice). Nothing is written.
2. **Apply**, only if no entry was refused, in one transaction: Patients become
   client records through the clients app's actions (``enrol_client``,
   ``update_client_details``), Practitioners and PractitionerRoles become
   invitations through the organisations app's ``invite`` (nobody is given an
   account or a role they did not accept), the Organization updates the practice's
   details. If any write is refused there, everything is rolled back.

Records are matched by identifier (system + value, kept in ``RosterLink``), so
importing the same roster again updates what it made instead of duplicating it.
The report names, per entry, what happened, and for a refusal the FHIRPath of
the element at fault and the rule. It never carries the people's details.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.accounts.models import User
from tandem.clients import actions as client_actions
from tandem.clients.models import Client
from tandem.core import phones
from tandem.core.roles import Role
from tandem.core.usstates import US_STATES
from tandem.fhir import codes
from tandem.fhir.models import RosterLink
from tandem.fhir.outcome import operation_outcome
from tandem.fhir.validation import InvalidResource, Problem, parse
from tandem.organisations import actions as org_actions
from tandem.organisations.models import (
    ROLES_BY_KIND,
    Invitation,
    InvitationStatus,
    Membership,
    Organisation,
    OrganisationKind,
)
from tandem.organisations.settings_actions import apply_fields, audit_change, require_manager

#: What the audit rows of the records an import makes say they came from.
VIA = "roster import"

#: The resource types a roster holds.
ROSTER_TYPES = ("Patient", "Practitioner", "PractitionerRole", "Organization")

#: The role a Practitioner is invited to when no PractitionerRole names one.
DEFAULT_ROLE = {
    OrganisationKind.THERAPY_PRACTICE: Role.THERAPIST,
    OrganisationKind.PSYCHIATRIC_PRACTICE: Role.PRESCRIBER,
}

#: Roles a client's clinician (``Patient.generalPractitioner``) may hold.
CLINICIAN_ROLES = (Role.THERAPIST, Role.PRESCRIBER)

CREATED, UPDATED, UNCHANGED, REJECTED, NOT_APPLIED = (
    "created",
    "updated",
    "unchanged",
    "rejected",
    "not applied",
)


@dataclass
class EntryReport:
    """What became of one entry: ``record`` is the public id of what it made or matched."""

    index: int
    resource_type: str
    outcome: str = NOT_APPLIED
    record: str = ""
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Report:
    """Every entry's outcome, and the problems of the Bundle as a whole."""

    entries: list[EntryReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.all_problems()

    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for e in self.entries for p in e.problems)]

    def counts(self) -> dict[str, int]:
        return dict(Counter(e.outcome for e in self.entries))

    def operation_outcome(self) -> dict[str, Any]:
        """Return the refusal as an OperationOutcome (or an empty one for an applied import)."""
        return operation_outcome(self.all_problems())

    def as_json(self) -> dict[str, Any]:
        return {
            "problems": [_problem_json(p) for p in self.problems],
            "entries": [
                {
                    "index": e.index,
                    "type": e.resource_type,
                    "outcome": e.outcome,
                    "record": e.record,
                    "problems": [_problem_json(p) for p in e.problems],
                }
                for e in self.entries
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        return cls(
            entries=[
                EntryReport(
                    index=e["index"],
                    resource_type=e["type"],
                    outcome=e["outcome"],
                    record=e["record"],
                    problems=[Problem(**p) for p in e["problems"]],
                )
                for e in data.get("entries", [])
            ],
            problems=[Problem(**p) for p in data.get("problems", [])],
        )

    def lines(self) -> list[str]:
        """Return the report as lines of text (the management command prints them)."""
        out = [f"Bundle: {p.path}: {p.message}" for p in self.problems]
        for e in self.entries:
            out.append(
                f"entry {e.index} {e.resource_type}: {e.outcome}"
                + (f" ({e.record})" if e.record else "")
            )
            out += [f"    {p.path}: {p.message}" for p in e.problems]
        counts = self.counts()
        summary = ", ".join(f"{counts[k]} {k}" for k in sorted(counts)) or "no entries"
        verdict = "imported" if self.applied else "REJECTED, nothing imported"
        out.append(f"{verdict}: {summary}")
        return out


def _problem_json(problem: Problem) -> dict[str, str]:
    return {"path": problem.path, "message": problem.message, "code": problem.code}


# --- reading the entries -----------------------------------------------------------------


@dataclass
class _Entry:
    index: int
    resource: dict[str, Any]
    report: EntryReport

    @property
    def at(self) -> str:
        return f"Bundle.entry[{self.index}].resource"

    def refuse(self, element: str, message: str, code: str = "invalid") -> None:
        path = f"{self.at}.{element}" if element else self.at
        self.report.problems.append(Problem(path, message, code))


def _identifiers(entry: _Entry) -> list[tuple[str, str]]:
    found = [
        (str(i.get("system", "")), str(i.get("value", "")))
        for i in entry.resource.get("identifier", [])
        if i.get("system") and i.get("value")
    ]
    if not found:
        entry.refuse(
            "identifier",
            "Give it an identifier with a system and a value (your record number): a second "
            "import finds it by that and updates it.",
            "required",
        )
    return found


def _current(items: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Return (index, item) of the items whose period has not ended, in order."""
    return [(k, item) for k, item in enumerate(items) if not (item.get("period") or {}).get("end")]


def _email(entry: _Entry) -> str:
    for _, telecom in _current(entry.resource.get("telecom", [])):
        if telecom.get("system") == "email" and telecom.get("value"):
            return str(telecom["value"]).strip().lower()
    return ""


def _phone(entry: _Entry) -> str:
    for k, telecom in _current(entry.resource.get("telecom", [])):
        if telecom.get("system") == "phone" and telecom.get("value"):
            number = phones.normalise(str(telecom["value"]))
            if number is None:
                entry.refuse(f"telecom[{k}].value", f"A phone number is {phones.RULE}")
                return ""
            return number
    return ""


def _state(entry: _Entry, k: int, address: dict[str, Any]) -> str:
    state = str(address.get("state", "")).strip().upper()
    if state and state not in US_STATES:
        entry.refuse(f"address[{k}].state", "A state is a two-letter US state code, e.g. MA.")
        return ""
    return state


def _patient_details(entry: _Entry) -> dict[str, Any]:
    resource = entry.resource
    names = resource.get("name", [])
    chosen = next(
        ((k, n) for k, n in enumerate(names) if n.get("use") == "official"),
        next(iter(_current(names)), None),
    )
    details: dict[str, Any] = {}
    if chosen is None:
        entry.refuse("name", "The client's name: a family name and a given name.", "required")
    else:
        k, name = chosen
        if not name.get("family"):
            entry.refuse(f"name[{k}].family", "The client's family name.", "required")
        if not name.get("given"):
            entry.refuse(f"name[{k}].given", "The client's given name.", "required")
        details["last_name"] = str(name.get("family", ""))
        details["first_name"] = str((name.get("given") or [""])[0])
    born = str(resource.get("birthDate", ""))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", born):
        entry.refuse(
            "birthDate",
            "The client's date of birth, as a full date (YYYY-MM-DD).",
            "required" if not born else "invalid",
        )
    else:
        details["date_of_birth"] = dt.date.fromisoformat(born)
    details["email"] = _email(entry)
    details["phone"] = _phone(entry)
    addresses = _current(resource.get("address", []))
    if addresses:
        details["state_of_residence"] = _state(entry, *addresses[0])
    return details


#: Client fields → the element they come from, to name it when the record refuses a value.
_CLIENT_PATHS = {
    "first_name": "name",
    "last_name": "name",
    "date_of_birth": "birthDate",
    "email": "telecom",
    "phone": "telecom",
    "state_of_residence": "address",
    "care_team": "generalPractitioner",
}


# --- the plan: what applying each entry will do -------------------------------------------


@dataclass
class _Patient:
    entry: _Entry
    identifiers: list[tuple[str, str]]
    details: dict[str, Any]
    client: Client | None  # matched by identifier: updated
    clinician: User | None  # for a new client: who joins its care team


@dataclass
class _Invite:
    entry: _Entry
    email: str
    role: str


@dataclass
class _Person:
    entry: _Entry
    identifiers: list[tuple[str, str]]
    email: str


@dataclass
class _Practice:
    entry: _Entry
    data: dict[str, Any]


class _Roster:
    """One import's check and apply passes over the Bundle's entries."""

    def __init__(self, actor: Any, organisation: Organisation, bundle: dict[str, Any]) -> None:
        self.actor = actor
        self.organisation = organisation
        self.entries: list[_Entry] = []
        self.by_reference: dict[str, _Entry] = {}
        for index, raw in enumerate(bundle.get("entry", [])):
            resource = raw.get("resource") if isinstance(raw, dict) else None
            kind = str(resource.get("resourceType", "")) if isinstance(resource, dict) else ""
            entry = _Entry(index, resource or {}, EntryReport(index, kind or "?"))
            self.entries.append(entry)
            if isinstance(raw, dict) and raw.get("fullUrl"):
                self.by_reference[str(raw["fullUrl"])] = entry
            if kind and entry.resource.get("id"):
                self.by_reference[f"{kind}/{entry.resource['id']}"] = entry
        self.roles_for: dict[int, list[_Entry]] = {}  # Practitioner entry → its roles' entries
        self.plans: list[Any] = []

    # Check -----------------------------------------------------------------------------

    def check(self, progress: Callable[[int, int], None]) -> None:
        total = len(self.entries)
        for entry in self.entries:
            self._validate(entry)
        for entry in self.entries:
            if entry.report.resource_type == "PractitionerRole" and not entry.report.problems:
                practitioner = self._practitioner_of(entry)
                if practitioner is not None:
                    self.roles_for.setdefault(practitioner.index, []).append(entry)
        seen: dict[tuple[str, str, str], int] = {}
        for done, entry in enumerate(self.entries, start=1):
            kind = entry.report.resource_type
            if not entry.report.problems:
                if kind in ("Patient", "Practitioner"):
                    for system, value in _identifiers(entry):
                        first = seen.setdefault((kind, system, value), entry.index)
                        if first != entry.index:
                            entry.refuse(
                                "identifier",
                                f"Entry {first} has the same identifier: one record per person.",
                                "duplicate",
                            )
                if not entry.report.problems:
                    getattr(self, f"_plan_{kind.lower()}")(entry)
            progress(done, total)

    def _validate(self, entry: _Entry) -> None:
        kind = entry.report.resource_type
        if kind not in ROSTER_TYPES:
            entry.refuse(
                "resourceType",
                "A roster holds Patient, Practitioner, PractitionerRole and Organization "
                "resources.",
                "not-supported",
            )
            return
        try:
            parse(entry.resource, kind, entry.at)
        except InvalidResource as error:
            entry.report.problems += error.problems

    def _practitioner_of(self, role: _Entry) -> _Entry | None:
        reference = str((role.resource.get("practitioner") or {}).get("reference", ""))
        target = self.by_reference.get(reference)
        if target is None or target.report.resource_type != "Practitioner":
            role.refuse(
                "practitioner",
                "Reference a Practitioner in this Bundle (its fullUrl, or Practitioner/<its id>).",
                "not-found",
            )
            return None
        return target

    def _is_the_practice(self, reference: str) -> bool:
        own = str(self.organisation.public_id)
        target = self.by_reference.get(reference)
        if target is not None and target.report.resource_type == "Organization":
            return self._names_the_practice(target.resource)
        return reference == f"Organization/{own}"

    def _names_the_practice(self, resource: dict[str, Any]) -> bool:
        own = str(self.organisation.public_id)
        return resource.get("id") == own or any(
            i.get("system") == codes.UUID_IDENTIFIER and i.get("value") == f"urn:uuid:{own}"
            for i in resource.get("identifier", [])
        )

    def _plan_patient(self, entry: _Entry) -> None:
        identifiers = _identifiers(entry)
        details = _patient_details(entry)
        links = RosterLink.objects.filter(
            organisation=self.organisation,
            kind=RosterLink.Kind.PATIENT,
            system__in=[s for s, _ in identifiers],
            value__in=[v for _, v in identifiers],
        ).select_related("client")
        matched = {
            link.client_id: link.client
            for link in links
            if (link.system, link.value) in identifiers and link.client is not None
        }
        if len(matched) > 1:
            entry.refuse(
                "identifier",
                "These identifiers belong to different clients already imported.",
                "conflict",
            )
            return
        client = next(iter(matched.values()), None)
        clinician = None if client is not None else self._clinician(entry)
        if not entry.report.problems:
            self.plans.append(_Patient(entry, identifiers, details, client, clinician))

    def _clinician(self, entry: _Entry) -> User | None:
        """Return the practice's clinician ``generalPractitioner`` names, or refuse the entry."""
        for k, ref in enumerate(entry.resource.get("generalPractitioner", [])):
            user = self._clinician_by_reference(str(ref.get("reference", "")))
            if user is not None:
                return user
            if ref.get("reference"):
                entry.refuse(
                    f"generalPractitioner[{k}]",
                    "Not a therapist or prescriber who works in your practice on Tandem. Invite "
                    "them first (import the Practitioner); import the client once they have "
                    "joined.",
                    "not-found",
                )
                return None
        entry.refuse(
            "generalPractitioner",
            "Name the client's therapist or prescriber in your practice (a Practitioner or "
            "PractitionerRole): they join the client's care team, without whom nobody could "
            "see the record.",
            "required",
        )
        return None

    def _clinician_by_reference(self, reference: str) -> User | None:
        members = Membership.objects.filter(
            organisation=self.organisation, is_active=True, role__in=CLINICIAN_ROLES
        )
        target = self.by_reference.get(reference)
        if target is not None and target.report.resource_type == "PractitionerRole":
            if target.report.problems:
                return None
            target = self._practitioner_of(target)
        if target is not None:
            email = _email(target) or next(
                (_email(r) for r in self.roles_for.get(target.index, []) if _email(r)), ""
            )
            found = members.filter(user__email__iexact=email).select_related("user").first()
            return found.user if email and found else None
        kind, _, public_id = reference.partition("/")
        if not re.fullmatch(r"[0-9a-fA-F-]{36}", public_id):
            return None
        if kind == "Practitioner":
            found = members.filter(user__public_id=public_id).select_related("user").first()
        elif kind == "PractitionerRole":
            found = members.filter(public_id=public_id).select_related("user").first()
        else:
            found = None
        return found.user if found else None

    def _plan_practitioner(self, entry: _Entry) -> None:
        identifiers = _identifiers(entry)
        roles = self.roles_for.get(entry.index, [])
        email = _email(entry) or next((_email(r) for r in roles if _email(r)), "")
        if not email:
            entry.refuse(
                "telecom",
                "An email address (telecom with system email), here or on its PractitionerRole: "
                "Tandem invites the person there.",
                "required",
            )
            return
        self.plans.append(_Person(entry, identifiers, email))
        if not roles:
            self.plans.append(_Invite(entry, email, DEFAULT_ROLE[self._kind()]))

    def _kind(self) -> OrganisationKind:
        return OrganisationKind(self.organisation.kind)

    def _plan_practitionerrole(self, entry: _Entry) -> None:
        practitioner = self._practitioner_of(entry)
        organisation = str((entry.resource.get("organization") or {}).get("reference", ""))
        if organisation and not self._is_the_practice(organisation):
            entry.refuse(
                "organization",
                "A roster's roles are in the importing practice: leave organization out, or "
                f"reference Organization/{self.organisation.public_id}.",
                "business-rule",
            )
        role: str = DEFAULT_ROLE[self._kind()]
        allowed = ROLES_BY_KIND[self._kind()]
        for k, concept in enumerate(entry.resource.get("code", [])):
            for j, coding in enumerate(concept.get("coding", [])):
                if coding.get("system") != codes.PRACTICE_ROLE:
                    continue
                if coding.get("code") in allowed:
                    role = str(coding["code"])
                else:
                    entry.refuse(
                        f"code[{k}].coding[{j}].code",
                        f"A {self.organisation.get_kind_display().lower()} has the roles "
                        f"{', '.join(sorted(allowed))}.",
                        "code-invalid",
                    )
        if practitioner is None or entry.report.problems:
            return
        email = _email(practitioner) or _email(entry)
        if email:  # else the Practitioner's entry is refused for want of one
            self.plans.append(_Invite(entry, email, role))

    def _plan_organization(self, entry: _Entry) -> None:
        resource = entry.resource
        if not self._names_the_practice(resource):
            entry.refuse(
                "id",
                "A roster updates only the importing practice's own details: give its "
                f"Organization the id {self.organisation.public_id}.",
                "business-rule",
            )
            return
        data: dict[str, Any] = {}
        if resource.get("name"):
            data["name"] = str(resource["name"])
        for k, telecom in _current(resource.get("telecom", [])):
            if telecom.get("system") == "phone" and "phone" not in data:
                number = phones.normalise(str(telecom.get("value", "")))
                if number is None:
                    entry.refuse(f"telecom[{k}].value", f"A phone number is {phones.RULE}")
                data["phone"] = number or ""
            elif telecom.get("system") == "url" and "website" not in data:
                data["website"] = str(telecom.get("value", ""))
        addresses = _current(resource.get("address", []))
        if addresses:
            k, address = addresses[0]
            data["address_line"] = ", ".join(address.get("line", []))
            data["city"] = str(address.get("city", ""))
            data["state"] = _state(entry, k, address)
            data["postal_code"] = str(address.get("postalCode", ""))
        if not entry.report.problems:
            self.plans.append(_Practice(entry, data))

    # Apply -----------------------------------------------------------------------------

    def apply(self) -> None:
        """Carry out every plan in the caller's transaction, each refusal naming its entry."""
        for plan in self.plans:
            try:
                with transaction.atomic():
                    getattr(self, f"_apply_{type(plan).__name__.lower().lstrip('_')}")(plan)
            except ValidationError as error:
                self._refused(plan.entry, error)

    def _refused(self, entry: _Entry, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                entry.refuse("", message, "business-rule")
            return
        for name, messages in error.message_dict.items():
            element = _CLIENT_PATHS.get(name, "telecom" if name == "email" else "")
            for message in messages:
                entry.refuse(element, message, "business-rule")

    def _apply_patient(self, plan: _Patient) -> None:
        if plan.client is None:
            assert plan.clinician is not None
            client = client_actions.enrol_client(
                actor=self.actor,
                organisation=self.organisation,
                clinician=plan.clinician,
                details=plan.details,
                via=VIA,
            )
            outcome = CREATED
        else:
            client = plan.client
            changed = client_actions.update_client_details(
                actor=self.actor,
                organisation=self.organisation,
                client=client,
                details=plan.details,
                via=VIA,
            )
            outcome = UPDATED if changed else UNCHANGED
        self._link(RosterLink.Kind.PATIENT, plan.identifiers, client=client)
        plan.entry.report.outcome = outcome
        plan.entry.report.record = str(client.public_id)

    def _apply_person(self, plan: _Person) -> None:
        report = plan.entry.report
        known = RosterLink.objects.filter(
            organisation=self.organisation,
            kind=RosterLink.Kind.PRACTITIONER,
            system__in=[s for s, _ in plan.identifiers],
            value__in=[v for _, v in plan.identifiers],
        )
        emails = {link.email for link in known if (link.system, link.value) in plan.identifiers}
        changed = self._link(RosterLink.Kind.PRACTITIONER, plan.identifiers, email=plan.email)
        if not emails:
            report.outcome = CREATED
        elif changed:
            report.outcome = UPDATED
        elif report.outcome == NOT_APPLIED:
            report.outcome = UNCHANGED

    def _apply_invite(self, plan: _Invite) -> None:
        report = plan.entry.report
        pending = Invitation.objects.filter(
            organisation=self.organisation,
            email=plan.email,
            role=plan.role,
            status=InvitationStatus.PENDING,
        ).exists()
        try:
            invitation = org_actions.invite(
                actor=self.actor, organisation=self.organisation, email=plan.email, role=plan.role
            )
        except ValidationError as error:
            if error.message_dict.get("role") == ["They already hold that role here."]:
                report.outcome = report.outcome if report.outcome != NOT_APPLIED else UNCHANGED
                return
            raise
        report.record = str(invitation.public_id)
        if not pending:
            report.outcome = CREATED
        elif report.outcome == NOT_APPLIED:
            report.outcome = UNCHANGED

    def _apply_practice(self, plan: _Practice) -> None:
        require_manager(self.actor, self.organisation)
        locked = Organisation.objects.select_for_update().get(pk=self.organisation.pk)
        changed = apply_fields(locked, plan.data, tuple(plan.data))
        if changed:
            try:
                locked.full_clean(exclude=[f for f in _ORG_FIELDS if f not in changed])
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    for message in messages:
                        plan.entry.refuse(_ORG_PATHS.get(name, ""), message, "business-rule")
                raise ValidationError([]) from None
            locked.save(update_fields=changed)
            audit_change(self.actor, locked, locked, changed, via=VIA)
        plan.entry.report.outcome = UPDATED if changed else UNCHANGED
        plan.entry.report.record = str(locked.public_id)

    def _link(
        self,
        kind: RosterLink.Kind,
        identifiers: list[tuple[str, str]],
        *,
        client: Client | None = None,
        email: str = "",
    ) -> bool:
        """Point each identifier at the record; return whether any pointed elsewhere before."""
        changed = False
        for system, value in identifiers:
            link, created = RosterLink.objects.get_or_create(
                organisation=self.organisation,
                kind=kind,
                system=system[:255],
                value=value[:255],
                defaults={"client": client, "email": email},
            )
            if not created and (
                link.client_id != (client.pk if client else None) or link.email != email
            ):
                link.client, link.email = client, email
                link.save(update_fields=["client", "email"])
                changed = True
        return changed


_ORG_FIELDS = [f.name for f in Organisation._meta.fields]
_ORG_PATHS = {
    "name": "name",
    "phone": "telecom",
    "website": "telecom",
    "address_line": "address",
    "city": "address",
    "state": "address",
    "postal_code": "address",
}


class UnreadableFile(ValueError):
    """An uploaded roster that is not JSON; the message says where it goes wrong."""


def read_json(raw: bytes) -> Any:
    """Return the JSON in ``raw``, or raise UnreadableFile naming the problem and its place."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(
            "The file is not text: upload the Bundle as a UTF-8 JSON file."
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableFile(
            f"The file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None


def _check_bundle(bundle: Any, report: Report) -> bool:
    """Check the Bundle's own shape (its entries are checked one by one); return whether sound."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        report.problems.append(
            Problem("Bundle", "Send a Bundle resource (resourceType Bundle).", "structure")
        )
        return False
    if bundle.get("type") not in ("transaction", "collection"):
        report.problems.append(
            Problem("Bundle.type", "A roster is a transaction or a collection Bundle.", "value")
        )
    entries = bundle.get("entry", [])
    if not isinstance(entries, list) or not entries:
        report.problems.append(
            Problem("Bundle.entry", "The Bundle has no entries to import.", "required")
        )
        return False
    try:
        parse({**bundle, "entry": []}, "Bundle")
    except InvalidResource as error:
        report.problems += error.problems
    return not report.problems


def import_roster(
    *,
    actor: Any,
    organisation: Organisation,
    bundle: Any,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Import a roster Bundle into ``organisation``: all of it, or nothing and every problem.

    Only the practice's admins may (``Forbidden`` otherwise). ``progress(checked, total)``
    is called as each entry is checked, outside any transaction, so a page can show it.
    """
    require_manager(actor, organisation)
    report = Report()
    if not _check_bundle(bundle, report):
        return report
    roster = _Roster(actor, organisation, bundle)
    report.entries = [e.report for e in roster.entries]
    roster.check(progress or (lambda checked, total: None))
    if not report.all_problems():
        with transaction.atomic():
            roster.apply()
            if report.all_problems():
                transaction.set_rollback(True)
                for entry in report.entries:
                    entry.outcome, entry.record = NOT_APPLIED, ""
    for entry in report.entries:
        if entry.problems:
            entry.outcome = REJECTED
    return report

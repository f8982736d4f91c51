"""Validate FHIR resources with fhir.resources (R4B models, R4 on the wire; see docs/fhir.md).

Every resource Tandem emits passes through ``validated()`` in the tests, and every
resource it accepts passes through ``parse()`` before anything reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an incoming resource: the FHIRPath of the element and why."""

    path: str
    message: str
    code: str = "invalid"


class InvalidResource(Exception):
    """An incoming resource that does not validate; ``problems`` name each bad element."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


def _path(resource_type: str, loc: tuple[Any, ...]) -> str:
    path = resource_type
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part) not in ("__root__",):
            path += f".{part}"
    return path


def parse(data: Any, expected: str, at: str = "") -> dict[str, Any]:
    """Return ``data`` if it is a valid resource of type ``expected``; raise InvalidResource.

    ``at`` prefixes each path (``Bundle.entry[0].resource``) so the error names the
    element within what the caller sent.
    """
    # deferred: fhir.resources builds hundreds of pydantic models; load them only when used
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    where = at or expected
    if not isinstance(data, dict):
        raise InvalidResource([Problem(where, f"Expected a {expected} resource (a JSON object).")])
    if data.get("resourceType") != expected:
        raise InvalidResource(
            [Problem(f"{where}.resourceType", f"Expected resourceType {expected!r}.")]
        )
    unknown = [
        Problem(f"{path}.resourceType", f"Not a resource type this server knows: {kind!r}.")
        for path, kind in _contained_types(data, where)
        if not _known(kind)
    ]
    if unknown:
        raise InvalidResource(unknown)
    try:
        get_fhir_model_class(expected).model_validate(data)
    except ValidationError as error:
        raise InvalidResource(
            [Problem(_path(where, tuple(e["loc"])), e["msg"]) for e in error.errors()]
        ) from None
    except (LookupError, TypeError, ValueError):
        # fhir.resources fails this way on shapes its models do not foresee.
        raise InvalidResource([Problem(where, f"Not a valid {expected} resource.")]) from None
    return data


def _contained_types(value: Any, path: str) -> list[tuple[str, str]]:
    """Return (path, resourceType) of every resource nested in ``value`` (not ``value`` itself)."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "resourceType":
                continue
            here = f"{path}.{key}"
            if isinstance(item, dict) and "resourceType" in item:
                found.append((here, str(item["resourceType"])))
            found += _contained_types(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            here = f"{path}[{index}]"
            if isinstance(item, dict) and "resourceType" in item:
                found.append((here, str(item["resourceType"])))
            found += _contained_types(item, here)
    return found


def _known(resource_type: str) -> bool:
    # deferred: fhir.resources builds hundreds of pydantic models; load them only when used
    from fhir.resources.R4B import get_fhir_model_class

    try:
        get_fhir_model_class(resource_type)
    except (LookupError, ValueError, TypeError):
        return False
    return True


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Return ``resource`` after checking it against its fhir.resources model (raises if invalid)."""
    return parse(resource, str(resource.get("resourceType", "")))

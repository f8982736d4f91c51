"""Every status change goes through its app's states module, and every table means what it says.

Two halves, both found by convention so a new states module joins without editing
this file:

1. **The scan.** Every module under ``tandem/`` (tests, migrations and test support
   aside) is parsed, and every assignment to a ``status`` — ``x.status = …``,
   ``setattr(x, "status", …)``, ``.update(status=…)``, and ``.create`` /
   ``.get_or_create`` / ``.update_or_create`` with a ``status`` (or ``defaults``
   holding one) that is not a state the object may be created in — fails the
   test, named by file and line, unless it is inside a states module.

2. **The tables.** A states module is a ``states.py`` or ``*_states.py`` with a
   ``TRANSITIONS`` table and a ``move(obj, target, **kwargs)`` function. Its table is
   either ``{(from, to): …}`` or ``{from: {to, …}}``; it may declare ``INITIAL``
   (the states an object is created in) and ``TransitionError`` (what ``move``
   raises on a refused move). Beside it, ``<package>/tests/state_cases.py`` has
   ``SUBJECTS = {"<module name>": subject}``, where ``subject(source, target)``
   returns an object standing in ``source`` and the keyword arguments ``move`` needs.
   For every move the table lists, ``move`` must make it; for every state, ``move``
   must refuse one move the table does not list, and leave the status alone.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import tandem

ROOT = Path(tandem.__file__).resolve().parent

#: Directories whose modules are not application code.
SKIPPED_DIRS = frozenset({"tests", "migrations", "testing", "__pycache__"})

#: Demo seeders fabricate a believable past (each status with its history rows,
#: back-dated) in development only; they are not a path a person's action takes.
#: ``tandem.core.stalled`` (``requeue_stalled_tasks``) sets the status of django-tasks-db's queue rows, not of a
#: Tandem model: it undoes the library's own claim (RUNNING -> READY) of a dead worker.
EXEMPT = ("demo.py", "demo/", "core/stalled.py")

#: Model-manager calls that create rows; a ``status`` they set must be an initial state.
CREATING = frozenset({"create", "get_or_create", "update_or_create"})


def _is_states_module(path: Path) -> bool:
    return path.name == "states.py" or path.name.endswith("_states.py")


def _app_modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if SKIPPED_DIRS.intersection(parts[:-1]):
            continue
        yield path


def _dotted(path: Path) -> str:
    return ".".join(("tandem", *path.relative_to(ROOT).with_suffix("").parts))


# --- Discovering the states modules ------------------------------------------------------


def _states_modules() -> list[ModuleType]:
    found = []
    for path in _app_modules():
        if not _is_states_module(path):
            continue
        module = importlib.import_module(_dotted(path))
        if hasattr(module, "TRANSITIONS") and callable(getattr(module, "move", None)):
            found.append(module)
    return found


def _pairs(table: Any) -> set[tuple[str, str]]:
    """Return the (from, to) moves a table lists, whichever of the two shapes it has."""
    pairs: set[tuple[str, str]] = set()
    items: Iterable[Any] = table.items() if isinstance(table, dict) else ((p, None) for p in table)
    for key, value in items:
        if isinstance(key, tuple):
            pairs.add((str(key[0]), str(key[1])))
        else:
            pairs.update((str(key), str(to)) for to in value)
    return pairs


def _statuses(table: Any) -> list[str]:
    listed = {s for pair in _pairs(table) for s in pair}
    if isinstance(table, dict):
        listed |= {str(k) for k in table if not isinstance(k, tuple)}
    return sorted(listed)


def _initial_names(modules: Iterable[ModuleType]) -> set[str]:
    """Return the member names (``DRAFT``, ``HELD`` …) of every states module's initial states."""
    names: set[str] = set()
    for module in modules:
        for state in getattr(module, "INITIAL", ()):
            names.add(getattr(state, "name", str(state).upper()))
    return names


# --- The scan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _value_is_initial(node: ast.expr, initial: set[str]) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in initial


def _status_in_defaults(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "defaults" and isinstance(keyword.value, ast.Dict):
            for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "status":
                    return value
    return None


def _targets(node: ast.expr) -> Iterator[ast.expr]:
    if isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _targets(element)
    else:
        yield node


def scan(source: str, where: str, initial: set[str]) -> list[Finding]:
    """Return every assignment to a ``status`` in ``source`` (a module's text)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in (t for each in targets for t in _targets(each)):
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    found.append(Finding(line, f"{ast.unparse(target)} = …"))
        elif isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Name)
                and func.id == "setattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == "status"
            ):
                found.append(Finding(line, 'setattr(…, "status", …)'))
            if not isinstance(func, ast.Attribute):
                continue
            status = next((k.value for k in node.keywords if k.arg == "status"), None)
            if func.attr == "update" and status is not None:
                found.append(Finding(line, f".update(status={ast.unparse(status)})"))
            elif func.attr in CREATING:
                for value in (status, _status_in_defaults(node)):
                    if value is not None and not _value_is_initial(value, initial):
                        found.append(
                            Finding(line, f".{func.attr}(status={ast.unparse(value)}) not initial")
                        )
    return sorted(found, key=lambda f: int(f.where.rpartition(":")[2]))


def test_the_scan_finds_each_kind_of_status_assignment():
    source = "\n".join(
        [
            "a.status = S.DONE",
            "a.b.status, c = S.DONE, 1",
            "setattr(a, 'status', S.DONE)",
            "Thing.objects.filter(pk=1).update(status=S.DONE)",
            "Thing.objects.create(status=S.DONE)",
            "Thing.objects.update_or_create(pk=1, defaults={'status': S.DONE})",
            # not assignments, or an initial state:
            "Thing.objects.create(status=S.NEW)",
            "Thing.objects.filter(status=S.DONE)",
            "status = 404",
            "render(request, 'x.html', status=400)",
        ]
    )
    lines = [f.where for f in scan(source, "x.py", {"NEW"})]
    assert lines == ["x.py:1", "x.py:2", "x.py:3", "x.py:4", "x.py:5", "x.py:6"]


def test_every_status_assignment_is_inside_a_states_module():
    initial = _initial_names(_states_modules())
    findings = []
    for path in _app_modules():
        where = str(path.relative_to(ROOT.parent))
        if _is_states_module(path) or any(part in where for part in EXEMPT):
            continue
        findings += scan(path.read_text(), where, initial)
    assert not findings, "Status assigned outside a states module (use its move()):\n" + "\n".join(
        map(str, findings)
    )


# --- The tables ----------------------------------------------------------------------------


def _cases() -> Iterator[Any]:
    for module in _states_modules():
        name = module.__name__.removeprefix("tandem.")
        pairs = _pairs(module.TRANSITIONS)
        for source, target in sorted(pairs):
            yield pytest.param(module, source, target, True, id=f"{name}:{source}->{target}")
        statuses = _statuses(module.TRANSITIONS)
        for source in statuses:
            unlisted = next((t for t in statuses if t != source and (source, t) not in pairs), None)
            if unlisted is not None:
                yield pytest.param(
                    module, source, unlisted, False, id=f"{name}:{source}-x->{unlisted}"
                )


def _subject(module: ModuleType, source: str, target: str) -> tuple[Any, dict[str, Any]]:
    """Find the subject maker beside the states module, or in an enclosing package's tests.

    ``tandem.care.crisis.states`` is looked up as ``"states"`` in
    ``tandem.care.crisis.tests.state_cases``, then as ``"crisis.states"`` in
    ``tandem.care.tests.state_cases`` (an app whose sub-packages share its tests).
    """
    parts = module.__name__.split(".")
    for cut in range(len(parts) - 1, 1, -1):
        package, key = ".".join(parts[:cut]), ".".join(parts[cut:])
        try:
            cases = importlib.import_module(f"{package}.tests.state_cases")
        except ModuleNotFoundError:
            continue
        subject = cases.SUBJECTS.get(key)
        assert subject is not None, f"{package}.tests.state_cases.SUBJECTS has no {key!r}"
        return subject(source, target)
    pytest.fail(
        f"{module.__name__} has a TRANSITIONS table: add a tests/state_cases.py beside it "
        "(or in its app) with SUBJECTS naming it (see this test's docstring)."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("module", "source", "target", "listed"), list(_cases()))
def test_move_makes_every_listed_move_and_refuses_an_unlisted_one(module, source, target, listed):
    obj, kwargs = _subject(module, source, target)
    assert obj.status == source
    if listed:
        module.move(obj, target, **kwargs)
        assert obj.status == target
    else:
        with pytest.raises(getattr(module, "TransitionError", Exception)):
            module.move(obj, target, **kwargs)
        assert obj.status == source

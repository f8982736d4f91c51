"""Read a rendered page's buttons and say where it breaks the rule of one primary action.

The rule (docs/design.md, "Buttons: one primary action, destructive ones asked twice"),
checked on the HTML a page returns, with no browser:

- A surface (the page's ``<main>``, or a ``<dialog>`` on its own) has at most one filled
  (primary) action: an ``<a class="button">``, a ``<summary class="button">`` or a submit
  button with no variant class. The filled red ``.button-danger-confirm`` is not counted:
  it is hidden in its confirmation until someone asks for it.
- An action repeated per row (inside a ``<li>`` or a table row) is never primary: it is
  outlined (``button button-secondary`` / ``button button-danger``) or a ``link-button``.
- A destructive action (its words start with cancel, revoke, delete, decline, remove,
  end, withdraw, …) is never primary, and one that acts (a submit button) is asked twice:
  it is the ``.button-danger-confirm`` inside a ``<details class="confirm">``, or the one
  action of a confirmation page (in no row and no disclosure). A ``link-button``
  "Remove" in a form being filled in that holds its own save (a line of a draft) edits
  the draft and is not destructive.
- A variant class (``button-secondary``, ``button-danger``, ``button-danger-confirm``,
  ``button-small``) is only ever used with ``button``, so every button is spelled alike.
- Controls a person cannot see (``visually-hidden``, ``hidden``) are not actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

DESTRUCTIVE = frozenset(
    {
        "archive",
        "cancel",
        "deactivate",
        "decline",
        "delete",
        "discard",
        "end",
        "erase",
        "reject",
        "remove",
        "revoke",
        "stop",
        "withdraw",
    }
)
VARIANTS = ("button-secondary", "button-danger", "button-danger-confirm", "button-small")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_ROWS = frozenset({"li", "tr"})


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    fields: int = 0  # for a form: the fields a person fills in

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


@dataclass(eq=False)
class Control:
    """One thing a person can press, with where it sits."""

    tag: str
    attrs: dict[str, str]
    ancestors: list[Element]
    text: list[str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def words(self) -> str:
        raw = self.attrs.get("value", "") if self.tag == "input" else "".join(self.text)
        return re.sub(r"\s+", " ", raw).strip()

    @property
    def style(self) -> str:
        """Return how it looks: primary, confirm, danger, secondary, link or plain."""
        classes = self.classes
        if "link-button" in classes:
            return "link"
        if "button-danger-confirm" in classes:
            return "confirm"
        if "button-danger" in classes:
            return "danger"
        if "button-secondary" in classes:
            return "secondary"
        if self.tag in ("a", "summary"):
            return "primary" if "button" in classes else "link"
        if self.submits or "button" in classes:
            return "primary"
        return "plain"

    @property
    def submits(self) -> bool:
        if self.tag == "button":
            return self.attrs.get("type", "submit") == "submit"
        return self.tag == "input"

    @property
    def acts(self) -> bool:
        """Whether pressing it changes something (a POST), rather than showing a page."""
        if any(k in self.attrs for k in ("hx-post", "hx-delete", "hx-put", "hx-patch")):
            return True
        form = self.form
        return self.submits and form is not None and form.attrs.get("method", "").lower() == "post"

    @property
    def form(self) -> Element | None:
        return next((e for e in reversed(self.ancestors) if e.tag == "form"), None)

    @property
    def hidden(self) -> bool:
        return any(
            "visually-hidden" in e.classes or "hidden" in e.attrs or e.tag == "template"
            for e in [*self.ancestors, Element(self.tag, self.attrs)]
        )

    @property
    def in_row(self) -> bool:
        return any(e.tag in _ROWS for e in self.ancestors)

    @property
    def tags_above(self) -> set[str]:
        return {e.tag for e in self.ancestors}

    @property
    def in_confirm(self) -> bool:
        return any(e.tag == "details" and "confirm" in e.classes for e in self.ancestors)

    @property
    def surface(self) -> str:
        for e in reversed(self.ancestors):
            if e.tag == "dialog":
                return f"dialog {e.attrs.get('id', '')}".strip()
            if e.tag == "main":
                return "main"
        return ""

    @property
    def destructive(self) -> bool:
        words = re.findall(r"[a-z]+", self.words.lower())
        if words[:1] == ["yes"]:
            words = words[1:]
        return bool(words) and words[0] in DESTRUCTIVE


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = []
        self.open: list[tuple[int, Control]] = []  # controls whose text is still coming
        self.controls: list[Control] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        element = Element(tag, values)
        classes = element.classes
        is_control = (
            tag == "button"
            or (tag == "input" and values.get("type") in ("submit", "button"))
            or (tag in ("a", "summary") and bool(classes & {"button", "link-button", *VARIANTS}))
        )
        if is_control:
            control = Control(tag, values, list(self.stack))
            self.controls.append(control)
            if tag not in _VOID:
                self.open.append((len(self.stack), control))
        if tag in ("textarea", "select") or (
            tag == "input" and values.get("type", "text") not in ("hidden", "submit", "button")
        ):
            form = next((e for e in reversed(self.stack) if e.tag == "form"), None)
            if form is not None:
                form.fields += 1
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        depths = [i for i, e in enumerate(self.stack) if e.tag == tag]
        if not depths:
            return
        depth = depths[-1]
        del self.stack[depth:]
        self.open = [(d, c) for d, c in self.open if d < depth]

    def handle_data(self, data: str) -> None:
        for _, control in self.open:
            control.text.append(data)


def controls(html: str) -> list[Control]:
    """Return every visible control of a page's surfaces (its main and its dialogs)."""
    parser = _Controls()
    parser.feed(html)
    parser.close()
    return [c for c in parser.controls if c.surface and not c.hidden]


def problems(html: str) -> list[str]:
    """Return how ``html`` breaks the button rules, one line each; [] when it keeps them."""
    found: list[str] = []
    every = controls(html)
    for surface in dict.fromkeys(c.surface for c in every):
        mine = [c for c in every if c.surface == surface]
        primaries = [c for c in mine if c.style == "primary" and not c.in_row]
        if len(primaries) > 1:
            names = ", ".join(repr(c.words) for c in primaries)
            found.append(f"{surface}: {len(primaries)} primary actions ({names}); keep one")
        acting = [c for c in mine if c.acts]
        for c in mine:
            found.extend(f"{surface}: {p}" for p in _control_problems(c, mine, acting))
    return found


def _control_problems(c: Control, mine: list[Control], acting: list[Control]) -> list[str]:
    name = repr(c.words)
    found = []
    stray = [v for v in VARIANTS if v in c.classes]
    if stray and "button" not in c.classes:
        found.append(f"{name} has {stray[0]} without button: spell it 'button {stray[0]}'")
    if c.style == "primary" and c.in_row:
        found.append(f"{name} is repeated per row and filled: make it button-secondary")
    if not c.destructive:
        return found
    if c.style == "primary":
        found.append(f"{name} is destructive and filled: make it button-danger, asked twice")
    if c.acts and not _edits_a_draft(c, mine) and not _asked_twice(c, acting):
        found.append(
            f"{name} is destructive and acts on the first click: put it in a "
            '<details class="confirm"> as a button-danger-confirm, or on a confirmation page'
        )
    return found


def _asked_twice(c: Control, acting: list[Control]) -> bool:
    if c.in_confirm:
        return c.style == "confirm"
    # A confirmation page asks one question: its one action, in no row and no disclosure,
    # is the answer.
    alone = len(acting) == 1 and acting[0] is c and not c.in_row
    return alone and c.style in ("confirm", "danger") and "details" not in c.tags_above


def _edits_a_draft(c: Control, mine: list[Control]) -> bool:
    """Whether ``c`` removes a line of a form being filled in, whose own save it holds."""
    form = c.form
    return (
        c.style == "link"
        and form is not None
        and form.fields > 0
        and any(
            other is not c and other.form is form and other.submits and not other.destructive
            for other in mine
        )
    )

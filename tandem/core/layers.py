"""The layer order of Tandem's packages, bottom to top: the one place it is written down.

A module may import only from its own layer or from a lower one. The import-direction
test (`tandem/core/tests/test_import_direction.py`) maps every module to a layer by the
longest matching prefix below and fails on any upward import; docs/architecture.md draws
the same list in the same order (a test checks that too).
"""

# Each layer is a tuple of module prefixes. Order matters: index 0 is the bottom.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("tandem.core",),
    ("tandem.audit",),
    ("tandem.accounts",),
    ("tandem.organisations",),
    ("tandem.notifications",),
    ("tandem.clients",),
    ("tandem.consent",),
    ("tandem.audit.reports",),
    ("tandem.referrals",),
    ("tandem.scheduling",),
    ("tandem.care",),
    ("tandem.measures",),
    ("tandem.directory",),
    ("tandem.intake",),
    ("tandem.fhir",),
    (
        "tandem.workspace",
        "tandem.demo",
        "tandem.urls",
        "tandem.settings",
        "tandem.wsgi",
        "tandem.asgi",
    ),
)


def layer_of(module: str) -> int | None:
    """The index of `module`'s layer (longest prefix wins), or None outside Tandem."""
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), index)
    return None if best is None else best[1]


def layer_name(index: int) -> str:
    return LAYERS[index][0]

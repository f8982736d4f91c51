"""Dependencies point one way: every import goes to the module's own layer or a lower one.

Reads the source with `ast` (nothing is imported), so a deferred import inside a function or
under TYPE_CHECKING counts as much as one at the top of the file. The layer list lives in
`tandem.core.layers`; docs/architecture.md draws the same list.

Three rules, three tests:
- no module imports from a higher layer (tests/ and migrations/ are exempt);
- no import cycle among the modules of one app (function-level imports included);
- an import inside a function carries `# deferred: <reason>` on its line or in the comment
  heading its block of imports.
"""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tandem.core.layers import LAYERS, layer_name, layer_of

ROOT = Path(__file__).resolve().parents[3]  # the repository
PACKAGE = ROOT / "tandem"
EXEMPT_DIRS = {"tests", "migrations", "__pycache__"}
DEFERRED = re.compile(r"#\s*deferred:\s*\S")


@dataclass(frozen=True)
class Import:
    path: Path  # the importing file
    line: int
    module: str  # the importing module
    target: str  # the imported module (a submodule when `from pkg import submodule`)
    in_function: bool
    type_checking: bool

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


@cache
def source_files() -> tuple[Path, ...]:
    return tuple(
        sorted(
            path
            for path in PACKAGE.rglob("*.py")
            if not EXEMPT_DIRS.intersection(path.relative_to(PACKAGE).parts[:-1])
        )
    )


def module_exists(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def resolve(module: str, package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    if not package:
        parts.pop()
    if node.level > 1:
        parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, node.module] if node.module else parts)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(
    node: ast.AST, in_function: bool, type_checking: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function, type_checking
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk(child, True, type_checking)
        elif isinstance(child, ast.If) and is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), in_function, True)
            for stmt in child.orelse:
                yield from _walk(
                    ast.Module(body=[stmt], type_ignores=[]), in_function, type_checking
                )
        else:
            yield from _walk(child, in_function, type_checking)


@cache
def parsed(path: Path) -> tuple[ast.Module, tuple[str, ...]]:
    text = path.read_text()
    return ast.parse(text, filename=str(path)), tuple(text.splitlines())


def all_statements() -> Iterator[tuple[Path, ast.Import | ast.ImportFrom, bool, bool]]:
    for path in source_files():
        tree, _ = parsed(path)
        for node, in_function, type_checking in _walk(tree, False, False):
            yield path, node, in_function, type_checking


@cache
def tandem_imports() -> tuple[Import, ...]:
    found = []
    for path, node, in_function, type_checking in all_statements():
        module = module_name(path)
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = resolve(module, is_package(path), node)
            targets = []
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if alias.name != "*" and module_exists(sub) else base)
        for target in targets:
            if target == "tandem" or target.startswith("tandem."):
                found.append(Import(path, node.lineno, module, target, in_function, type_checking))
    return tuple(found)


def app_of(module: str) -> str:
    """The app a module belongs to: tandem.<app> (care's sub-packages are care)."""
    return ".".join(module.split(".")[:2])


def upward_imports() -> list[str]:
    findings = []
    for imp in tandem_imports():
        mine, theirs = layer_of(imp.module), layer_of(imp.target)
        if mine is None or theirs is None or theirs <= mine:
            continue
        findings.append(
            f"{imp.where()} imports {imp.target} (layer {theirs + 1} {layer_name(theirs)}) "
            f"from {imp.module} (layer {mine + 1} {layer_name(mine)})"
        )
    return list(dict.fromkeys(findings))  # `from x import a, b` is one finding


def cycles_inside_apps() -> list[str]:
    graph: dict[str, set[str]] = {}
    for imp in tandem_imports():
        if imp.type_checking or imp.target == imp.module:
            continue  # not executed at run time
        if app_of(imp.module) == app_of(imp.target) and module_exists(imp.target):
            graph.setdefault(imp.module, set()).add(imp.target)
    return [" -> ".join([*cycle, cycle[0]]) for cycle in strongly_connected(graph)]


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: every group of two or more modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def undocumented_deferred_imports() -> list[str]:
    """Imports inside functions whose line, or the comment heading their block, gives no reason.

    A block is a run of import lines and comment lines with nothing else between them, so
    one `# deferred: <reason>` above several imports covers them all.
    """
    findings = []
    for path, node, in_function, _ in all_statements():
        if not in_function:
            continue
        tree, lines = parsed(path)
        import_lines = {
            line
            for stmt in ast.walk(tree)
            if isinstance(stmt, ast.Import | ast.ImportFrom)
            for line in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
        }
        block = list(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        above = node.lineno - 1
        while above >= 1 and (above in import_lines or lines[above - 1].lstrip().startswith("#")):
            block.append(above)
            above -= 1
        if not any(DEFERRED.search(lines[line - 1]) for line in block):
            findings.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return findings


def test_no_module_imports_from_a_higher_layer() -> None:
    findings = upward_imports()
    assert not findings, "Upward imports:\n" + "\n".join(findings)


def test_no_import_cycle_inside_an_app() -> None:
    findings = cycles_inside_apps()
    assert not findings, "Import cycles:\n" + "\n".join(findings)


def test_imports_inside_functions_say_why() -> None:
    findings = undocumented_deferred_imports()
    assert not findings, (
        "Imports inside functions without a `# deferred: <reason>` comment:\n" + "\n".join(findings)
    )


def test_every_tandem_package_has_a_layer() -> None:
    packages = {module_name(path) for path in source_files() if module_name(path) != "tandem"}
    missing = sorted(name for name in packages if layer_of(name) is None)
    assert not missing


def test_the_layer_list_is_ordered_by_prefix() -> None:
    """A sub-package sits above its parent (tandem.audit.reports over tandem.audit), never below."""
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            parent = prefix.rsplit(".", 1)[0]
            parent_layer = layer_of(parent)
            assert parent_layer is None or parent_layer < index, prefix


def test_the_architecture_doc_draws_the_same_layers() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    drawing = re.search(r"<!-- layers -->\n```\n(.*?)```", doc, re.DOTALL)
    assert drawing, "docs/architecture.md: the layer drawing (after <!-- layers -->) is missing"
    drawn = [
        re.findall(r"tandem\.[a-z_.]*[a-z_]", line)
        for line in drawing.group(1).splitlines()
        if line.strip()
    ]
    assert [tuple(names) for names in drawn] == list(LAYERS)

"""The application's packages form layers: each imports only packages below it.

The layering, lowest first (``docs/architecture.md`` explains it):

1. ``config``, then ``core`` — settings, the database, formatting, dates, security headers,
   error pages, background jobs; they know no feature.
2. ``audit`` (writing events) and ``definitions`` (the forms as data).
3. ``tenancy`` — municipalities, memberships, the scope every query runs in.
4. ``auth`` — users, sign-in, sessions.
5. ``families``, then ``teams`` and ``collection``, then ``plans``; ``casework`` (the family
   pages and the dashboard) on top of all four.
6. ``privacy``, ``research``, then ``reports``; ``notifications`` — what leaves the casework.
7. ``backup``, ``demo``, ``api``, ``admin``, ``operator`` — the ways in.
8. ``i18n``, ``extensions``, ``cli`` and the factory ``app/__init__.py`` — the assembly.

The test does not hard-code that order: it builds the import graph from the source with
``ast`` (every ``import`` and ``from … import`` of ``app.*``, at the top of a module and
inside functions, relative imports resolved; not those under ``if TYPE_CHECKING:``, which
never run) and fails on any cycle between packages or
between modules, on ``app/core`` importing anything but itself and ``config``, on an
import inside a function with no comment right above it saying why, and on a module over
500 lines. A cycle is printed as the chain of imports that closes it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
MAX_LINES = 500
#: Top-level modules of ``app`` that count as packages of their own.
LOOSE_MODULES = ("config", "extensions", "i18n", "cli")
#: What ``app/core`` may import besides itself.
BELOW_CORE = {"config"}


@dataclass(frozen=True)
class Import:
    source: str  #: the importing module, dotted
    target: str  #: the imported module, dotted
    line: int
    in_function: bool
    explained: bool  #: a comment sits on the line(s) right above it


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(APP.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _comment_above(lines: list[str], line: int, import_lines: set[int]) -> bool:
    """Whether a comment sits right above ``line`` (1-based): one comment may explain a
    block of imports, so blank lines and the lines of other imports are passed over."""
    index = line - 1
    while index >= 1 and (not lines[index - 1].strip() or index in import_lines):
        index -= 1
    return index >= 1 and lines[index - 1].lstrip().startswith("#")


def _imports_of(module: str, path: Path, known: set[str]) -> Iterator[Import]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source, filename=str(path))
    import_lines = {
        number
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for number in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }
    functions: set[int] = set()
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            functions.update(id(inner) for inner in ast.walk(node) if inner is not node)
        # ``if TYPE_CHECKING:`` imports never run: they name a type for the reader and the
        # type checker, so a field type may name the FieldDef that holds it.
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            typing_only.update(id(inner) for inner in ast.walk(node) if inner is not node)
    for node in ast.walk(tree):
        targets: list[str] = []
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path.name == "__init__.py", node)
            # ``from app.x import y`` imports the module app.x.y when there is one.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        in_function = id(node) in functions
        for target in dict.fromkeys(targets):
            if target == "app" or target.startswith("app."):
                explained = _comment_above(lines, node.lineno, import_lines)
                yield Import(module, target, node.lineno, in_function, explained)


@cache
def _graph() -> list[Import]:
    modules = _modules()
    known = set(modules)
    return [found for name, path in modules.items() for found in _imports_of(name, path, known)]


def _package(module: str) -> str:
    """The layer node of a module: its top-level package under ``app``, or ``app``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "app"


def _tangles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def _cycles(edges: dict[str, set[str]]) -> list[str]:
    """Each tangle, printed as one cycle through it and the list of all its members."""
    return [
        " -> ".join(_closing_path(edges, tangle)) + f"  (all of {sorted(tangle)})"
        for tangle in _tangles(edges)
    ]


def _closing_path(edges: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first node back to itself."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(edges.get(node, set()) & component):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    return sorted(component)


def _package_edges(graph: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for found in graph:
        source, target = _package(found.source), _package(found.target)
        if source != target:
            edges[source].add(target)
    return edges


def test_the_graph_sees_the_imports() -> None:
    # A parser that silently found nothing would pass every check below.
    graph = _graph()
    assert len(graph) > 500
    assert any(found.target == "app.core.db" for found in graph)
    assert _package_edges(graph)["tenancy"] >= {"core"}


def test_no_package_level_cycle() -> None:
    cycles = _cycles(_package_edges(_graph()))
    assert not cycles, "package cycles:\n" + "\n".join(cycles)


def test_no_module_level_cycle() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for found in _graph():
        if found.source != found.target:
            edges[found.source].add(found.target)
    cycles = _cycles(edges)
    assert not cycles, "module cycles:\n" + "\n".join(cycles)


def test_core_imports_no_feature() -> None:
    # The configuration is the layer below the core: it imports nothing of the application.
    assert not [found for found in _graph() if found.source == "app.config"]
    wrong = sorted(
        f"{found.source}:{found.line} imports {found.target}"
        for found in _graph()
        if _package(found.source) == "core" and _package(found.target) not in {"core", *BELOW_CORE}
    )
    assert not wrong, "\n".join(wrong)


def test_every_import_inside_a_function_says_why() -> None:
    silent = sorted(
        f"{found.source}:{found.line} imports {found.target}"
        for found in _graph()
        if found.in_function and not found.explained
    )
    assert not silent, "imports inside functions without a comment above:\n" + "\n".join(silent)


def test_every_import_inside_a_function_of_another_library_says_why_too() -> None:
    """The same rule for the libraries: an import is at the top of its module unless a
    comment says why it waits (WeasyPrint, say, loaded only once a memory limit is set)."""
    silent = []
    for name, path in _modules().items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        import_lines = {
            number
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for number in range(node.lineno, (node.end_lineno or node.lineno) + 1)
        }
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom) and not _comment_above(
                    lines, node.lineno, import_lines
                ):
                    silent.append(f"{name}:{node.lineno}")
    assert not silent, "imports inside functions without a comment above:\n" + "\n".join(
        sorted(set(silent))
    )


def test_no_module_over_the_limit() -> None:
    long = {
        str(path.relative_to(APP.parent)): count
        for path in APP.rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"

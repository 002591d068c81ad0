"""The suite's own rules, read from its source.

Test modules never import each other, nor a conftest: what two of them share lives in
``tests/support/``, so that running, moving or deleting one test module never changes
another. And no test replaces a private function or a function of the application's
modules: where a test needs the application to behave differently, the application
offers a documented hook (a configuration value, an ``init_app`` registration).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from app.config import PROJECT_ROOT

TESTS = PROJECT_ROOT / "tests"
APP = PROJECT_ROOT / "app"
#: Calls that replace or remove an attribute, by the name they are called by.
REPLACING = frozenset({"setattr", "delattr"})


def python_files() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def suite_modules() -> list[Path]:
    return [path for path in python_files() if path.name.startswith("test_")]


def module_name(path: Path) -> str:
    relative = path.relative_to(PROJECT_ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported_modules(source: str, path: Path) -> Iterator[tuple[int, str]]:
    """Every module the *source* of *path* imports, absolute, with its line:
    ``from x import y`` gives ``x.y`` as well as ``x``, since *y* may be a module."""
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = (package or module_name(path)).split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def is_test_module(name: str) -> bool:
    """Whether the dotted *name* is a test module or a conftest of this suite."""
    parts = name.split(".")
    if parts[0] != "tests":
        return False
    path = PROJECT_ROOT.joinpath(*parts).with_suffix(".py")
    return path.is_file() and (path.name.startswith("test_") or path.name == "conftest.py")


def test_no_test_module_imports_another_or_a_conftest() -> None:
    modules = suite_modules()
    assert len(modules) > 40, "the suite's test modules were not found"
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{line} imports {name}"
        for path in python_files()
        for line, name in imported_modules(path.read_text(), path)
        if is_test_module(name) and name != module_name(path)
    ]
    assert not found, "move what is shared to tests/support/:\n" + "\n".join(found)


def test_the_layout_check_sees_an_import_of_a_test_module() -> None:
    """The rule above would pass vacuously if its reader missed the usual spellings."""
    assert is_test_module("tests.test_access_matrix")
    assert is_test_module("tests.conftest") and is_test_module("tests.api.conftest")
    assert not is_test_module("tests.support.access")
    sample = TESTS / "api" / "test_sample_for_layout.py"
    source = (
        "from tests.conftest import x\n"
        "import tests.test_access_matrix\n"
        "from . import test_fuzz_api\n"
        "from .conftest import LiveApi\n"
    )
    names = [name for _, name in imported_modules(source, sample)]
    assert [n for n in names if is_test_module(n)] == [
        "tests.conftest",
        "tests.test_access_matrix",
        "tests.api.test_fuzz_api",
        "tests.api.conftest",
    ]


# -- no replaced functions -------------------------------------------------------------------


def application_modules(tree: ast.Module) -> set[str]:
    """Names bound in the module to one of the application's modules: imported, or found
    at run time (a loop over ``sys.modules``, ``importlib.import_module``)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        found_at_run_time = (
            isinstance(node, ast.For) and "sys.modules" in ast.unparse(node.iter)
        ) or (
            isinstance(node, ast.Assign)
            and any(hint in ast.unparse(node.value) for hint in ("sys.modules", "import_module"))
        )
        if found_at_run_time:
            targets = [node.target] if isinstance(node, ast.For) else node.targets
            bound |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "app":
                    bound.add(alias.asname or "app")
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module.split(".")[0] != "app":
                continue
            folder = PROJECT_ROOT.joinpath(*node.module.split("."))
            for alias in node.names:
                target = folder / alias.name
                if target.with_suffix(".py").is_file() or (target / "__init__.py").is_file():
                    bound.add(alias.asname or alias.name)
    return bound


def replacements(source: str, filename: str) -> list[str]:
    """Each place that replaces a private name, or anything on an application module."""
    tree = ast.parse(source, filename)
    modules = application_modules(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in REPLACING or not node.args:
                continue
            target, *rest = node.args
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                # monkeypatch.setattr("package.module.name", value)
                dotted = target.value
                if dotted.split(".")[0] == "app" or dotted.rsplit(".", 1)[-1].startswith("_"):
                    found.append(f"{where} replaces {dotted}")
                continue
            attribute = rest[0] if rest else None
            private = (
                isinstance(attribute, ast.Constant)
                and isinstance(attribute.value, str)
                and attribute.value.startswith("_")
            )
            on_module = isinstance(target, ast.Name) and target.id in modules
            if private or on_module:
                named = attribute.value if isinstance(attribute, ast.Constant) else "…"
                found.append(f"{where} replaces {ast.unparse(target)}.{named}")
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id in modules
                ):
                    found.append(f"{where} assigns {ast.unparse(target)}")
    return sorted(found, key=lambda problem: int(problem.split(":")[1].split(" ")[0]))


def test_no_test_replaces_a_private_name_or_a_function_of_the_application() -> None:
    found = [
        problem
        for path in python_files()
        for problem in replacements(path.read_text(), str(path.relative_to(PROJECT_ROOT)))
    ]
    assert not found, (
        "give the application a documented hook (a config value, an init_app "
        "registration) instead:\n" + "\n".join(found)
    )


def test_the_replacement_check_sees_each_way_of_replacing() -> None:
    source = (
        "from app.core import background\n"
        "from app.tenancy import scoping\n"
        "import app.research.rows as rows\n"
        "from app.research.rows import batch_size\n"
        "def test(monkeypatch, app):\n"
        "    monkeypatch.setattr(background, 'launch', None)\n"
        "    monkeypatch.setattr(app, '_private', None)\n"
        "    monkeypatch.setattr('app.research.rows.BATCH', 2)\n"
        "    monkeypatch.delattr(rows, 'BATCH')\n"
        "    scoping._apply_scope = None\n"
        "    monkeypatch.setattr(app, 'instance_path', '/elsewhere')\n"
        "    monkeypatch.setitem(app.config, 'JOBS_RUN', False)\n"
        "    for name, module in list(sys.modules.items()):\n"
        "        monkeypatch.setattr(module, 'launch', None)\n"
    )
    found = replacements(source, "sample.py")
    assert [line.split(" ", 1)[0] for line in found] == [
        "sample.py:6",
        "sample.py:7",
        "sample.py:8",
        "sample.py:9",
        "sample.py:10",
        "sample.py:14",
    ], found


def test_the_application_modules_it_names_exist() -> None:
    """The check recognises the application's modules by their files: they must be there."""
    assert (APP / "core" / "background.py").is_file()
    assert application_modules(ast.parse("from app.core import background, db")) == {
        "background",
        "db",
    }

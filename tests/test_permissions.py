"""Role policy is said once, in app/auth/permissions.py.

The scans here read the source: no role name is compared (in Python or in a template)
outside that module and the models that define the roles, every permission the table names
is asked for somewhere, and every ask names a permission of the table. The documented
table must be the code's. Whether the table gives each role the right answer on every
route is not decided here: tests/test_access_matrix.py states the policy on its own.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import g
from flask_login import login_user
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from app.auth import permissions
from app.auth.models import MEMBERSHIP_ROLES, PLATFORM_ROLES, Membership
from app.config import PROJECT_ROOT
from app.core.db import db
from app.tenancy.scoping import tenant_scope

PLATFORM = frozenset(PLATFORM_ROLES)
ROLES = frozenset(MEMBERSHIP_ROLES) | PLATFORM
#: The modules allowed to spell roles out: the one that defines them, the one that maps them.
#: Where the roles are named: the permission table, and the models that define them (the
#: membership roles live with the memberships, in tenancy, which checks a municipality
#: file's single sign-on default role against them).
ROLE_MODULES = {
    Path("app/auth/models.py"),
    Path("app/auth/permissions.py"),
    Path("app/tenancy/models.py"),
}
#: The functions that take a permission name, and where in their arguments it is.
ASKING = {"can": 0, "require": 0, "permission_required": 0, "roles_with": 0, "allows": 1}

# -- finding role literals ---------------------------------------------------------------------


def _is_role(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in ROLES


def _role_collection(node: ast.AST) -> bool:
    """A literal tuple, list or set holding a role name and no other constant."""
    if not isinstance(node, ast.Tuple | ast.List | ast.Set):
        return False
    constants = [e for e in node.elts if isinstance(e, ast.Constant)]
    return bool(constants) and all(_is_role(e) for e in constants)


def _names_role(node: ast.AST) -> bool:
    """A role name, or a literal tuple, list or set with a role name among its items."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_role(e) for e in node.elts)
    return _is_role(node)


def python_role_comparisons(source: str) -> list[int]:
    """Line numbers where *source* compares against a role name or writes a role list.

    Caught: ``role == "admin"``, ``"lead" != x``, ``role in ("admin", "lead")``,
    ``Membership.role.in_(["staff"])``, and ``SOME_ROLES = ("admin", "lead")``: a list of
    roles kept anywhere is a second statement of the policy, compared later by name.
    """
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_names_role(o) for o in operands):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("in_", "not_in") and any(_names_role(a) for a in node.args):
                lines.append(node.lineno)
        elif isinstance(node, ast.Assign | ast.AnnAssign) and _role_collection(node.value):
            lines.append(node.lineno)
    return sorted(set(lines))


_ROLE = "|".join(sorted(ROLES))
_OPERATOR = r"(?:==|!=|\bnot\s+in\b|\bin\b)"
TEMPLATE_COMPARISONS = [
    # Any comparison of a role attribute, whatever it is compared with.
    re.compile(rf"\.(?:platform_)?role\s*{_OPERATOR}"),
    re.compile(rf"(?:==|!=)\s*['\"](?:{_ROLE})['\"]"),
    re.compile(rf"['\"](?:{_ROLE})['\"]\s*(?:==|!=|\bin\b|\bnot\s+in\b)"),
    re.compile(rf"\bin\s*[\(\[]\s*['\"](?:{_ROLE})['\"]"),
]


def template_role_comparisons(source: str) -> list[int]:
    return sorted(
        {
            source.count("\n", 0, match.start()) + 1
            for pattern in TEMPLATE_COMPARISONS
            for match in pattern.finditer(source)
        }
    )


def _sources(suffix: str, top: str) -> Iterator[tuple[Path, str]]:
    for path in sorted((PROJECT_ROOT / top).rglob(f"*{suffix}")):
        relative = path.relative_to(PROJECT_ROOT)
        yield relative, path.read_text(encoding="utf-8")


def role_comparisons() -> list[str]:
    found = [
        f"{path}:{line}"
        for path, source in _sources(".py", "app")
        if path not in ROLE_MODULES
        for line in python_role_comparisons(source)
    ]
    found += [
        f"{path}:{line}"
        for path, source in _sources(".html", "templates")
        for line in template_role_comparisons(source)
    ]
    return found


def test_no_role_is_compared_outside_the_permission_table():
    found = role_comparisons()
    assert not found, (
        "role names compared outside app/auth/permissions.py; ask for a permission "
        f"(can / require / permission_required) instead: {found}"
    )


# The scan must see what it forbids: every role in every shape it takes, in both languages.
PYTHON_SHAPES = [
    'if membership.role == "{role}":\n    pass',
    'if "{role}" != user.platform_role:\n    pass',
    'ok = current_role() in ("{role}", "nobody")',
    'ok = role not in ["{role}"]',
    'rows = select(Membership).where(Membership.role.in_(["{role}"]))',
    'SOME_ROLES = ("{role}",)',
    'SOME_ROLES: tuple[str, ...] = (*OTHER_ROLES, "{role}")',
]
TEMPLATE_SHAPES = [
    "{{% if g.membership.role == '{role}' %}}x{{% endif %}}",
    "{{% if current_user.platform_role in ('{role}', 'other') %}}x{{% endif %}}",
    "{{% if '{role}' == g.membership.role %}}x{{% endif %}}",
    "{{{{ 'a' if g.membership.role != \"{role}\" else 'b' }}}}",
    "{{% if role in ['{role}'] %}}x{{% endif %}}",
]


@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_scan_finds_every_shape_of_a_role_comparison(role):
    for shape in PYTHON_SHAPES:
        source = "x = 1\n" + shape.format(role=role)
        assert python_role_comparisons(source) == [2], shape
    for shape in TEMPLATE_SHAPES:
        source = "<p>\n" + shape.format(role=role)
        assert template_role_comparisons(source) == [2], shape


def test_the_scan_leaves_other_uses_of_the_words_alone():
    python = (
        'LABELS = {"admin": "Administrator"}\n'
        'grant_membership(user, municipality, "external")\n'
        'if blueprint_name == "families":\n    pass\n'
        'RESERVED = {"admin", "login", "static"}\n'
        "if membership.role == role:\n    pass\n"
    )
    assert python_role_comparisons(python) == []
    template = (
        '<p class="lead">{{ role_label(g.membership.role) }}</p>\n'
        "{% if can('people.manage') %}x{% endif %}\n"
    )
    assert template_role_comparisons(template) == []


# -- permission names ----------------------------------------------------------------------------


def python_asks(source: str) -> Iterator[tuple[int, str | None]]:
    """(line, permission name) of every call that asks for a permission; the name is None
    when it is not written out, which only the table's own module may do."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in ASKING:
            continue
        position = ASKING[name]
        given = node.args[position] if len(node.args) > position else None
        written = isinstance(given, ast.Constant) and isinstance(given.value, str)
        yield node.lineno, given.value if written else None  # type: ignore[union-attr]


TEMPLATE_ASK = re.compile(r"\bcan\(\s*(?:(['\"])([^'\"]*)\1)?")


def asks() -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for path, source in _sources(".py", "app"):
        if path == Path("app/auth/permissions.py"):
            continue
        found += [(f"{path}:{line}", name) for line, name in python_asks(source)]
    for path, source in _sources(".html", "templates"):
        for match in TEMPLATE_ASK.finditer(source):
            line = source.count("\n", 0, match.start()) + 1
            found.append((f"{path}:{line}", match.group(2)))
    return found


def test_every_ask_names_a_permission_of_the_table():
    found = asks()
    assert len(found) > 40
    unnamed = [where for where, name in found if name is None]
    assert not unnamed, f"write the permission's name out, so it can be found: {unnamed}"
    unknown = [(where, name) for where, name in found if name not in permissions.PERMISSIONS]
    assert not unknown, f"no such permission in app/auth/permissions.py: {unknown}"


def test_every_permission_of_the_table_is_asked_for():
    used = {name for _where, name in asks()}
    unused = sorted(set(permissions.PERMISSIONS) - used)
    assert not unused, f"permissions nothing asks for (remove them, or use them): {unused}"


def test_the_scan_finds_asks_in_both_languages():
    python = (
        'require("a.b")\n@permission_required("c.d")\ndef f():\n    return can(name)\n'
        'ok = allows(role, "g.h")\n'
    )
    assert sorted(python_asks(python)) == [(1, "a.b"), (2, "c.d"), (4, None), (5, "g.h")]
    template = "{% if can('e.f') %}{% endif %}{{ can(x) }}"
    assert [m.group(2) for m in TEMPLATE_ASK.finditer(template)] == ["e.f", None]


# -- the table itself ---------------------------------------------------------------------------


def test_each_permission_belongs_to_municipal_roles_or_to_platform_roles():
    for name, roles in permissions.PERMISSIONS.items():
        assert roles, name
        assert roles <= set(MEMBERSHIP_ROLES) or roles <= set(PLATFORM_ROLES), name
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", name), name


def test_an_unknown_permission_is_an_error_not_a_refusal():
    with pytest.raises(KeyError):
        permissions.allows("admin", "families.fly")
    with pytest.raises(KeyError):
        permissions.roles_with("families.fly")


@pytest.mark.parametrize("platform_role", [None, *PLATFORM_ROLES])
def test_municipal_permissions_come_from_the_membership_and_platform_ones_from_the_account(
    app_ctx, municipalities, make_user, platform_role
):
    """For every municipal role, with and without each platform role: a platform role adds
    nothing inside a municipality, a membership adds nothing outside one."""
    jammerbugt = municipalities["jammerbugt"]
    platform_permissions = {p for p, roles in permissions.PERMISSIONS.items() if roles <= PLATFORM}
    for role in MEMBERSHIP_ROLES:
        user = make_user(jammerbugt, role, platform_role=platform_role)
        with tenant_scope(jammerbugt, user.id):
            membership = db.session.scalar(select(Membership).filter_by(user_id=user.id))
        for name, holders in permissions.PERMISSIONS.items():
            platform = name in platform_permissions
            # A fresh application context: a fresh ``g``, as every request has.
            with app_ctx.app_context(), app_ctx.test_request_context("/"):
                login_user(user)
                assert permissions.can(name) == (platform and platform_role in holders), name
                g.membership = membership  # as the tenant resolution leaves it
                held = (platform_role if platform else role) in holders
                assert permissions.can(name) == held, (role, platform_role, name)
                if held:
                    permissions.require(name)
                else:
                    with pytest.raises(Forbidden):
                        permissions.require(name)


def documented_table() -> dict[str, frozenset[str]]:
    text = (PROJECT_ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    header = next(line for line in text.splitlines() if line.startswith("| permission |"))
    roles = [cell.strip().strip("`") for cell in header.strip("|").split("|")[2:]]
    table: dict[str, frozenset[str]] = {}
    for line in text.splitlines():
        match = re.match(r"\| `([a-z_]+\.[a-z_]+)` \|", line)
        if match:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")[2:]]
            marked = zip(roles, cells, strict=True)
            table[match.group(1)] = frozenset(role for role, cell in marked if cell == "✓")
    return table


def test_the_documented_table_is_the_code():
    assert documented_table() == permissions.PERMISSIONS

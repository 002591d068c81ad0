"""The tenant boundary, kept in one place.

Every ORM statement executed through the application's session is given a criterion that
limits tenant-owned rows to the *current* municipality; every new or changed tenant-owned
row is checked against it before it is flushed. The current municipality is set once per
request (from the URL prefix, see :mod:`app.tenancy.request`) or explicitly with
:func:`tenant_scope` in commands. With no municipality set, tenant-owned rows are invisible:
the boundary fails closed.

The single way out is :func:`unscoped`, which names its reason and writes an audit event.
Raw SQL (``text()``) and Core table statements are not ORM statements and are not
filtered here; on PostgreSQL row-level security is the second line for those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Select, event, or_
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria

from app.audit.models import AuditEvent
from app.audit.services import record
from app.core.db import TenantSession, db
from app.core.jobs import carry_over
from app.tenancy.models import Membership, Municipality, TenantOwned

#: No municipality has this id; scoping to it hides every tenant-owned row.
_NOBODY = -1


@dataclass(frozen=True)
class Scope:
    #: The municipality whose rows are visible; None hides all tenant-owned rows.
    municipality_id: int | None = None
    #: The signed-in user, for rules such as "a user sees their own memberships".
    user_id: int | None = None
    #: Set only inside :func:`unscoped`.
    crosses_tenants: bool = False


_NO_SCOPE = Scope()


class TenantBoundaryError(RuntimeError):
    """A write would put or move a row outside the current municipality."""


def current_scope() -> Scope:
    if not has_app_context():
        return _NO_SCOPE
    stack: list[Scope] = g.get("_tenant_scopes") or []
    return stack[-1] if stack else _NO_SCOPE


def _push(scope: Scope) -> None:
    if "_tenant_scopes" not in g:
        g._tenant_scopes = []
    g._tenant_scopes.append(scope)
    _sync_database_scope()


def _pop() -> None:
    g._tenant_scopes.pop()
    _sync_database_scope()


def set_request_scope(municipality: Municipality | int | None, user_id: int | None) -> None:
    """Set the scope for the rest of this request (called once, by the request hook).

    *municipality* may be given by its id: the API knows it before it has read any row.
    Set before the request's first statement, the scope reaches the database with the
    transaction's first statement, in the one ``set_config`` every transaction begins with.
    """
    municipality_id = municipality.id if isinstance(municipality, Municipality) else municipality
    g._tenant_scopes = [Scope(municipality_id, user_id)]
    _sync_database_scope()


def name_request_user(user_id: int) -> None:
    """Name the request's user, learnt from its credentials after its transaction began
    (the API's token), in the scope the ORM's rules read.

    The database's copy is left as the transaction began, with the municipality alone: the
    user adds only their own rows elsewhere (memberships, invitations), which no API route
    reads, so the copy hides no more than it should and shows nothing more, and the
    transaction needs no second ``set_config``.
    """
    scope = current_scope()
    g._tenant_scopes = [Scope(scope.municipality_id, user_id, scope.crosses_tenants)]


# -- the database's copy of the scope (PostgreSQL row-level security) ----------------------

_SET_SCOPE = (
    "SELECT set_config('helhed.municipality_id', %(municipality)s, true), "
    "set_config('helhed.user_id', %(user)s, true), "
    "set_config('helhed.cross_tenant', %(cross)s, true)"
)


#: Where :func:`open_database_scope_when` keeps its condition, in ``app.extensions``.
_OPEN_WHEN = "helhed.database_scope_open_when"


def open_database_scope_when(app: Flask, condition: Callable[[], bool]) -> None:
    """Let PostgreSQL show every municipality's rows to *app*'s transactions begun, or
    rescoped, while *condition()* holds; the ORM's tenant rules still apply.

    A hook for a test harness, never called by the application: the harness's factories
    and assertions run in an app context of their own and reload objects after commits,
    outside any municipality (SQLAlchemy's refresh of expired attributes does not carry
    the ORM tenant rules). Requests run in app contexts of their own, where the condition
    is false, so everything the application does stays bound by row-level security.
    """
    app.extensions[_OPEN_WHEN] = condition


def _apply_scope(connection: Any) -> None:
    scope = current_scope()
    opened = current_app.extensions.get(_OPEN_WHEN)
    cross = scope.crosses_tenants or (opened is not None and opened())
    connection.exec_driver_sql(
        _SET_SCOPE,
        {
            "municipality": "" if scope.municipality_id is None else str(scope.municipality_id),
            "user": "" if scope.user_id is None else str(scope.user_id),
            "cross": "on" if cross else "",
        },
    )


def _scope_new_transaction(connection: Any) -> None:
    """Every PostgreSQL transaction opened in an app context starts with the scope set."""
    if connection.dialect.name == "postgresql" and has_app_context():
        _apply_scope(connection)


def _sync_database_scope() -> None:
    """Carry a scope change into the session's open transaction, if it has one."""
    session = db.session()
    if session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        _apply_scope(session.connection())


@contextmanager
def tenant_scope(municipality: Municipality, user_id: int | None = None) -> Iterator[None]:
    """Work inside one municipality, e.g. in a command or a test."""
    _push(Scope(municipality.id, user_id))
    try:
        yield
    finally:
        _pop()


@contextmanager
def restored_scope(scope: Scope) -> Iterator[None]:
    """Carry a scope into another app context (a background job started by a request)."""
    _push(scope)
    try:
        yield
    finally:
        _pop()


@contextmanager
def as_user(user_id: int) -> Iterator[None]:
    """Outside any municipality, as *user_id*: sees that user's own memberships only.

    For sign-in, before the user is signed in: which roles they hold decides whether a
    second factor is required.
    """
    _push(Scope(None, user_id))
    try:
        yield
    finally:
        _pop()


@contextmanager
def unscoped(reason: str, *, actor_id: int | None = None, **details: Any) -> Iterator[None]:
    """The one explicit way across the tenant boundary; every use leaves an audit event.

    Use it for platform work that must see several municipalities (research exports,
    the operator's overview). The caller's transaction commits the audit event.
    """
    if not reason:
        raise ValueError("crossing the tenant boundary needs a reason")
    record("tenant.unscoped_access", actor_id=actor_id, details={"reason": reason, **details})
    _push(Scope(user_id=actor_id, crosses_tenants=True))
    try:
        yield
    finally:
        _pop()


# -- the rules -----------------------------------------------------------------------------

#: (entity, criterion factory). Each factory takes (municipality_id, user_id) and returns
#: the lambda given to ``with_loader_criteria``; closures over plain ints are cached by
#: SQLAlchemy as bound parameters, so one compiled statement serves every municipality.
_RULES: list[tuple[type, Callable[..., Callable[[Any], Any]]]] = []


def scoping_rule(entity: type) -> Callable[[Callable[..., Callable[[Any], Any]]], Any]:
    """Register the visibility rule of an entity that is tenant-owned in a special way."""

    def register(factory: Callable[..., Callable[[Any], Any]]) -> Any:
        _RULES.append((entity, factory))
        return factory

    return register


@scoping_rule(TenantOwned)
def _owned_by_current(
    municipality_id: int, user_id: int, *, own: bool = False
) -> Callable[[Any], Any]:
    return lambda cls: cls.municipality_id == municipality_id


#: Execution option that widens the membership and invitation rules to "and my own rows
#: anywhere".
OWN_MEMBERSHIPS = "helhed_own_memberships"


@scoping_rule(Membership)
def tenant_or_own(municipality_id: int, user_id: int, *, own: bool = False) -> Callable[[Any], Any]:
    """A membership's rule: the municipality's rows and, when asked, the user's own anywhere."""
    if own:
        # Only the municipality switcher asks for this (app.auth.services.own_memberships).
        return lambda cls: or_(cls.municipality_id == municipality_id, cls.user_id == user_id)
    return lambda cls: cls.municipality_id == municipality_id


@scoping_rule(AuditEvent)
def platform_or_tenant(
    municipality_id: int, user_id: int, *, own: bool = False
) -> Callable[[Any], Any]:
    """Rows that belong to one municipality or, with no municipality, to the platform."""
    if municipality_id == _NOBODY:
        # Outside any municipality: the platform's own rows (sign-ins, exports, a
        # study's report jobs).
        return lambda cls: cls.municipality_id.is_(None)
    return lambda cls: cls.municipality_id == municipality_id


def scoped(statement: Select[Any], *entities: type) -> Select[Any]:
    """*statement* narrowed now by the current scope's rules for *entities*.

    For a SELECT the session does not run by itself, such as the source of an
    ``INSERT … FROM SELECT``: the session scopes the SELECT, UPDATE and DELETE it runs,
    and ``with_loader_criteria`` does not reach into an INSERT's source.
    """
    scope = current_scope()
    if scope.crosses_tenants:
        return statement
    municipality_id = scope.municipality_id if scope.municipality_id is not None else _NOBODY
    user_id = scope.user_id if scope.user_id is not None else _NOBODY
    return statement.where(
        *(
            factory(municipality_id, user_id)(entity)
            for entity in entities
            for registered, factory in _RULES
            if issubclass(entity, registered)
        )
    )


@event.listens_for(TenantSession, "do_orm_execute")
def _add_tenant_criteria(state: ORMExecuteState) -> None:
    if state.is_column_load or not (state.is_select or state.is_update or state.is_delete):
        return
    scope = current_scope()
    if scope.crosses_tenants:
        return
    municipality_id = scope.municipality_id if scope.municipality_id is not None else _NOBODY
    user_id = scope.user_id if scope.user_id is not None else _NOBODY
    own = bool(state.execution_options.get(OWN_MEMBERSHIPS))
    state.statement = state.statement.options(
        *(
            with_loader_criteria(
                entity, factory(municipality_id, user_id, own=own), include_aliases=True
            )
            for entity, factory in _RULES
        )
    )


@event.listens_for(TenantSession, "before_flush")
def _check_tenant_writes(session: Any, flush_context: Any, instances: Any) -> None:
    scope = current_scope()
    if scope.crosses_tenants:
        return
    for obj in list(session.new) + list(session.dirty):
        municipality_id = getattr(obj, "municipality_id", None)
        if isinstance(obj, Municipality) or municipality_id is None:
            # Municipality rows are the tenants themselves; a None here is either a
            # platform-level audit event or a NOT NULL column the database will refuse.
            continue
        if municipality_id != scope.municipality_id:
            raise TenantBoundaryError(
                f"{type(obj).__name__} of municipality {municipality_id} written while "
                f"scoped to {scope.municipality_id}"
            )
    for obj in session.deleted:
        municipality_id = getattr(obj, "municipality_id", None)
        if municipality_id is not None and municipality_id != scope.municipality_id:
            raise TenantBoundaryError(
                f"{type(obj).__name__} of municipality {municipality_id} deleted while "
                f"scoped to {scope.municipality_id}"
            )


def init_app(app: Any) -> None:
    # A background job works in the tenant scope of the request that started it.
    # A job carries its request's scope as JSON, and the worker makes it again.
    carry_over(app, lambda: asdict(current_scope()), lambda carried: Scope(**carried))
    # On the app's own engines, not SQLAlchemy's Engine class: another engine in the
    # process (a second app, a benchmark's baseline) keeps its transactions unscoped.
    with app.app_context():
        for engine in db.engines.values():
            event.listen(engine, "begin", _scope_new_transaction)

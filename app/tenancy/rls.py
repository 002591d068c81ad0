"""PostgreSQL row-level security: the database's own copy of the tenant boundary.

The ORM rules in :mod:`app.tenancy.scoping` are the first line; these policies are the
second, for whatever does not pass through them (raw SQL, a forgotten Core statement, a
SQL prompt opened with the application's credentials). Each transaction states whose
rows it may see with ``set_config(..., true)`` (``SET LOCAL``: it ends with the
transaction, so a pooled connection never carries one request's municipality into the
next); :mod:`app.tenancy.scoping` does that whenever a transaction begins or the scope
changes.

Policies only bind a role that neither owns the tables nor is a superuser, and
``FORCE ROW LEVEL SECURITY`` binds the owner too. The deployment therefore runs
migrations as an owner role and the application as a separate role made with
:func:`grant_statements` (``flask database grant-app-role``); see docs/deployment.md.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import Connection

#: The per-transaction settings the policies read.
MUNICIPALITY = "helhed.municipality_id"
USER = "helhed.user_id"
CROSS_TENANT = "helhed.cross_tenant"

#: Tables whose rows belong to one municipality (NOT NULL municipality_id).
TENANT_TABLES = (
    "answer_value",
    "api_token",
    "assignment",
    "department",
    "export_record",
    "family",
    "family_import",
    "family_member",
    "form_token",
    "idempotency_key",
    "plan",
    "plan_goal",
    "plan_goal_revision",
    "plan_goal_status",
    "research_grant",
    "self_report_link",
    "sso_identity",
    "submission",
    "wave",
    "wave_approval",
)
#: Tables where a NULL municipality means a platform-level row (visible to the platform).
PLATFORM_OR_TENANT_TABLES = ("audit_event", "report_job")
#: Tenant tables whose rows their user also sees from anywhere: their memberships (how they
#: pick a municipality) and their invitations (how they answer one).
OWN_ROW_TABLES = ("membership", "invitation")

_FUNCTION = f"""
CREATE OR REPLACE FUNCTION helhed_visible(owner integer) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('{CROSS_TENANT}', true), '') = 'on'
        OR owner = nullif(current_setting('{MUNICIPALITY}', true), '')::integer
$$"""

_CURRENT_USER = f"nullif(current_setting('{USER}', true), '')::integer"


def _policy(table: str, rule: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"CREATE POLICY tenant_isolation ON {table} USING ({rule}) WITH CHECK ({rule})",
    ]


def policy_statements(existing: set[str] | None = None) -> list[str]:
    """Every policy, or those of the *existing* tables: a migration installs the policies of
    the tables there are so far, and a later one installs them again for its new tables."""
    statements = [_FUNCTION]
    for table in TENANT_TABLES:
        if existing is not None and table not in existing:
            continue
        statements += _policy(table, "helhed_visible(municipality_id)")
    for table in PLATFORM_OR_TENANT_TABLES:
        statements += _policy(table, "municipality_id IS NULL OR helhed_visible(municipality_id)")
    for table in OWN_ROW_TABLES:
        if existing is not None and table not in existing:
            continue
        statements += _policy(
            table, f"helhed_visible(municipality_id) OR user_id = {_CURRENT_USER}"
        )
    return statements


def drop_statements() -> list[str]:
    # Only the tables there are: a downgrade removes later migrations' tables first.
    statements = [
        f"DO $$ BEGIN IF to_regclass('{table}') IS NOT NULL THEN "
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}; "
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY; "
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY; "
        "END IF; END $$"
        for table in (*TENANT_TABLES, *PLATFORM_OR_TENANT_TABLES, *OWN_ROW_TABLES)
    ]
    return [*statements, "DROP FUNCTION IF EXISTS helhed_visible(integer)"]


def install(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    for statement in policy_statements(existing_tables(connection)):
        connection.exec_driver_sql(statement)


def existing_tables(connection: Connection) -> set[str]:
    return set(
        connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).scalars()
    )


_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str) -> list[str]:
    """What the application role may do: read and write rows, never change the schema,
    and only add to the audit trail."""
    if not _ROLE_NAME.match(role):
        raise ValueError(f"{role!r} is not a plain lower-case role name")
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {role}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"GRANT EXECUTE ON FUNCTION helhed_visible(integer) TO {role}",
    ]


def role_problems(connection: Connection) -> list[str]:
    """Why the connected role would not be held by the policies (empty when it is)."""
    if connection.dialect.name != "postgresql":
        return []
    row = connection.exec_driver_sql(
        "SELECT r.rolsuper, r.rolbypassrls, "
        "EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' "
        "        AND tableowner = current_user) "
        "FROM pg_roles r WHERE r.rolname = current_user"
    ).one()
    problems = []
    if row[0]:
        problems.append("the application connects as a superuser, which bypasses RLS")
    if row[1]:
        problems.append("the application role has BYPASSRLS")
    if row[2]:
        problems.append("the application role owns tables (use a separate owner role)")
    return problems

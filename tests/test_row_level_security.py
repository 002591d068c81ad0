"""Isolation in depth: PostgreSQL row-level security under the ORM's tenant rules, and
composite foreign keys that keep a row from pointing into another municipality.

The PostgreSQL tests run as the application role the whole suite uses there (see
``app`` in conftest.py): no superuser, owner of nothing.
"""

from __future__ import annotations

import re

import pytest
from flask import g
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.auth.models import Membership
from app.core.db import db
from app.families.models import Family
from app.tenancy.rls import (
    OWN_ROW_TABLES,
    PLATFORM_OR_TENANT_TABLES,
    TENANT_TABLES,
    policy_statements,
)
from app.tenancy.scoping import tenant_scope, unscoped
from tests.support.apps import owner_engine
from tests.support.tenant_rows import OWNED_TABLES, fill_every_tenant_table

only_postgresql = pytest.mark.parametrize("app", ["postgresql"], indirect=True)


@pytest.fixture
def two_municipalities(municipalities, make_user, make_family):
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    families = {}
    for slug in ("brondby", "vejle"):
        staff = make_user(municipalities[slug], "staff")
        families[slug] = make_family(slug, adults=1, children=2, label=f"Familien {slug}").id
        assert staff.id
    db.session.commit()
    # From here on the test's own queries are held like the application's (see
    # _in_the_tests_own_context in conftest.py).
    g._test_harness = False
    return brondby, vejle, families


def _tables_with_municipality(connection) -> set[str]:
    return set(
        connection.execute(
            text(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND column_name = 'municipality_id'"
            )
        ).scalars()
    )


@only_postgresql
def test_every_table_with_a_municipality_has_forced_row_level_security(app_ctx):
    with owner_engine(app_ctx).connect() as connection:
        tables = _tables_with_municipality(connection)
        flags = dict(
            (name, (enabled, forced))
            for name, enabled, forced in connection.execute(
                text(
                    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                    "WHERE relname = ANY(:names)"
                ),
                {"names": list(tables)},
            )
        )
    assert tables == {*TENANT_TABLES, *PLATFORM_OR_TENANT_TABLES, *OWN_ROW_TABLES}
    assert all(flags[t] == (True, True) for t in tables), flags


@only_postgresql
def test_a_raw_select_without_where_returns_only_the_current_municipality(
    app_ctx, two_municipalities
):
    brondby, vejle, _families = two_municipalities
    with tenant_scope(brondby):
        labels = db.session.execute(text("SELECT label FROM family")).scalars().all()
        members = db.session.execute(text("SELECT municipality_id FROM family_member"))
        owners = {row[0] for row in members}
    assert labels == ["Familien brondby"]
    assert owners == {brondby.id}

    with tenant_scope(vejle):
        assert db.session.execute(text("SELECT label FROM family")).scalars().all() == [
            "Familien vejle"
        ]

    # No municipality: nothing at all (the boundary fails closed) ...
    with app_ctx.test_request_context():
        assert db.session.execute(text("SELECT count(*) FROM family")).scalar_one() == 0
        db.session.rollback()
        # ... and the one audited way across sees both.
        with unscoped("test: both municipalities"):
            assert db.session.execute(text("SELECT count(*) FROM family")).scalar_one() == 2
        db.session.rollback()


@pytest.fixture
def every_table_filled(app_ctx, municipalities, make_user, make_family, tmp_path):
    """Brøndby and Vejle each with rows in every owned table, and the platform's rows."""
    brondby, vejle = municipalities["brondby"], municipalities["vejle"]
    fill_every_tenant_table([brondby, vejle], make_user, make_family, tmp_path)
    with owner_engine(app_ctx).connect() as connection:
        owned = {
            table: {
                (row[-1], tuple(row[:-1]))
                for row in connection.execute(
                    text(f"SELECT {_key(table)}, municipality_id FROM {table}")
                )
            }
            for table in OWNED_TABLES
        }
    g._test_harness = False
    return brondby, vejle, owned


def _key(table):
    """The primary key's columns: ``id``, or what names a row of a table without one (a
    typed answer: its submission and field)."""
    return ", ".join(c.name for c in db.metadata.tables[table].primary_key.columns)


def _ids(owned, table, *owners):
    return {row_id for owner, row_id in owned[table] if owner in owners}


def _differences(seen_by_table, expected_by_table):
    """Per table, what one scope saw that it should not, and what it missed."""
    return {
        table: {
            "foreign": sorted(seen_by_table[table] - expected),
            "missing": sorted(expected - seen_by_table[table]),
        }
        for table, expected in expected_by_table.items()
        if seen_by_table[table] != expected
    }


@only_postgresql
def test_raw_sql_in_one_municipality_sees_exactly_its_own_rows_of_every_tenant_table(
    app_ctx, every_table_filled
):
    """Set equality per table, both ways round: a policy that lets every row through
    (``USING (true)``) or one that hides a municipality's own rows fails here, naming the
    table."""
    brondby, vejle, owned = every_table_filled
    for municipality in (brondby, vejle):
        with tenant_scope(municipality):
            seen = {
                table: {
                    tuple(row)
                    for row in db.session.execute(text(f"SELECT {_key(table)} FROM {table}"))
                }
                for table in OWNED_TABLES
            }
            db.session.rollback()
        # Platform rows (no municipality) are visible to every scope, as rls.py defines
        # the platform-or-tenant policy; the ORM rule is stricter (the test below).
        expected = {
            table: _ids(owned, table, municipality.id)
            | (_ids(owned, table, None) if table in PLATFORM_OR_TENANT_TABLES else set())
            for table in OWNED_TABLES
        }
        assert _differences(seen, expected) == {}, municipality.slug


def test_the_orm_in_one_municipality_loads_exactly_its_own_rows_of_every_tenant_table(
    app_ctx, every_table_filled
):
    brondby, vejle, owned = every_table_filled
    models = {mapper.local_table.name: mapper.class_ for mapper in db.Model.registry.mappers}
    for municipality in (brondby, vejle):
        with tenant_scope(municipality):
            seen = {
                table: {
                    tuple(row)
                    for row in db.session.execute(
                        select(
                            *(
                                getattr(models[table], c.name)
                                for c in db.metadata.tables[table].primary_key.columns
                            )
                        )
                    )
                }
                for table in OWNED_TABLES
            }
            db.session.rollback()
        expected = {table: _ids(owned, table, municipality.id) for table in OWNED_TABLES}
        assert _differences(seen, expected) == {}, municipality.slug


@only_postgresql
def test_every_tenant_tables_policy_is_the_one_rls_defines(app_ctx):
    """The installed policies, compared with rls.py's, as PostgreSQL itself words them:
    each rule is installed once more on a scratch table and both are read back from
    ``pg_policies``. One policy per table, permissive, for every command and role."""
    defined = {}
    for statement in policy_statements():
        match = re.fullmatch(
            r"CREATE POLICY tenant_isolation ON (\w+) USING \((.*)\) WITH CHECK \((.*)\)",
            statement,
        )
        if match:
            assert match.group(2) == match.group(3), statement
            defined[match.group(1)] = match.group(2)
    assert set(defined) == set(OWNED_TABLES)

    with owner_engine(app_ctx).connect() as connection, connection.begin() as transaction:
        connection.execute(
            text("CREATE TEMPORARY TABLE policy_probe (municipality_id integer, user_id integer)")
        )
        expected = {}
        for table, rule in defined.items():
            connection.execute(text(f"CREATE POLICY {table} ON policy_probe USING ({rule})"))
            expected[table] = connection.execute(
                text(
                    "SELECT qual FROM pg_policies WHERE tablename = 'policy_probe' "
                    "AND policyname = :name"
                ),
                {"name": table},
            ).scalar_one()
        installed = {
            (row.tablename, row.policyname): row
            for row in connection.execute(
                text(
                    "SELECT tablename, policyname, permissive, roles, cmd, qual, with_check "
                    "FROM pg_policies WHERE schemaname = 'public' "
                    "AND tablename = ANY(:tables)"
                ),
                {"tables": list(OWNED_TABLES)},
            )
        }
        transaction.rollback()
    assert set(installed) == {(table, "tenant_isolation") for table in OWNED_TABLES}
    wrong = {
        table: (row.qual, row.with_check)
        for (table, _name), row in installed.items()
        if (row.permissive, list(row.roles), row.cmd) != ("PERMISSIVE", ["public"], "ALL")
        or row.qual != expected[table]
        or row.with_check != expected[table]
    }
    assert wrong == {}, expected


@only_postgresql
def test_raw_sql_cannot_write_into_another_municipality(app_ctx, two_municipalities):
    brondby, vejle, families = two_municipalities
    with tenant_scope(brondby):
        with pytest.raises(DBAPIError, match="row-level security"):  # noqa: SIM117
            with db.session.begin_nested():
                db.session.execute(
                    text(
                        "INSERT INTO department (municipality_id, code, name_da, name_en, active)"
                        " VALUES (:m, 'x', 'X', 'X', true)"
                    ),
                    {"m": vejle.id},
                )
        changed = db.session.execute(
            text("UPDATE family SET label = 'overwritten' WHERE id = :id"),
            {"id": families["vejle"]},
        )
        assert changed.rowcount == 0
        db.session.commit()
    with owner_engine(app_ctx).connect() as connection:
        label = connection.execute(
            text("SELECT label FROM family WHERE id = :id"), {"id": families["vejle"]}
        ).scalar_one()
    assert label == "Familien vejle"


@only_postgresql
def test_the_scope_is_per_transaction_and_never_leaks_to_the_next(app_ctx, two_municipalities):
    brondby, _vejle, _families = two_municipalities
    with tenant_scope(brondby):
        assert db.session.execute(text("SELECT count(*) FROM family")).scalar_one() == 1
        db.session.commit()
    # A raw connection from the same pool, outside any scope and outside the harness.
    with db.engine.connect() as connection:
        setting = connection.execute(
            text("SELECT current_setting('helhed.municipality_id', true)")
        ).scalar_one()
        assert setting in (None, "")


def test_the_role_check_knows_an_owner_from_an_application_role(app, backend):
    result = app.test_cli_runner().invoke(args=["database", "check-role"])
    if backend == "sqlite":
        assert result.exit_code == 0 and "SQLite" in result.output
        return
    assert result.exit_code == 0, result.output
    assert "bound by row-level security" in result.output

    from app import create_app
    from tests.support.apps import TEST_CONFIG

    owner = create_app({**TEST_CONFIG, "DATABASE_URL": app.config["TEST_OWNER_DATABASE_URL"]})
    refused = owner.test_cli_runner().invoke(args=["database", "check-role"])
    with owner.app_context():
        db.engine.dispose()
    assert refused.exit_code == 1
    assert "superuser" in refused.output


def test_a_row_cannot_point_at_another_municipalitys_row(app_ctx, two_municipalities):
    """Composite foreign keys: (municipality_id, family_id) must name one family."""
    brondby, _vejle, families = two_municipalities
    with owner_engine(app_ctx).connect() as connection, pytest.raises(IntegrityError):  # noqa: SIM117
        with connection.begin():
            connection.execute(
                text(
                    "INSERT INTO family_member (municipality_id, family_id, role, "
                    "name, start_date, created_at) "
                    "VALUES (:m, :f, 'adult', 'X', '2026-01-01', '2026-01-01')"
                ),
                {"m": brondby.id, "f": families["vejle"]},
            )


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("membership", "department_id"),
        ("assignment", "department_id"),
        ("plan_goal", "responsible_department_id"),
    ],
)
def test_a_department_reference_stays_in_its_municipality(
    app_ctx, two_municipalities, make_user, table, column
):
    """Composite foreign keys: a membership, assignment or plan goal in Brøndby cannot name
    a Vejle department (the departments' ids are unique, so only the pair says whose)."""
    brondby, vejle, families = two_municipalities
    g._test_harness = True
    with tenant_scope(brondby):
        from app.plans.models import Plan
        from app.plans.services import add_goal, create_plan
        from app.teams.services import assign

        family = db.session.get(Family, families["brondby"])
        staff = make_user(brondby, "staff")
        membership = db.session.scalar(select(Membership).where(Membership.user_id == staff.id))
        assign(brondby, family, membership)
        plan = db.session.scalar(select(Plan).where(Plan.family_id == family.id)) or create_plan(
            brondby, family
        )
        add_goal(plan, 1, "work_education", "Et mål", None)
        db.session.commit()
    with owner_engine(app_ctx).connect() as connection:
        theirs = connection.execute(
            text("SELECT min(id) FROM department WHERE municipality_id = :m"), {"m": vejle.id}
        ).scalar_one()
        ours = connection.execute(
            text("SELECT min(id) FROM department WHERE municipality_id = :m"), {"m": brondby.id}
        ).scalar_one()
        row = connection.execute(
            text(f"SELECT min(id) FROM {table} WHERE municipality_id = :m"), {"m": brondby.id}
        ).scalar_one()
        assert row is not None
        connection.commit()
        with connection.begin():
            connection.execute(
                text(f"UPDATE {table} SET {column} = :d WHERE id = :id"), {"d": ours, "id": row}
            )
        with pytest.raises(IntegrityError), connection.begin():
            connection.execute(
                text(f"UPDATE {table} SET {column} = :d WHERE id = :id"), {"d": theirs, "id": row}
            )

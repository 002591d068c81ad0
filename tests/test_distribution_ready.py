"""The migrated schema stays ready for Citus, sharded by municipality.

Citus distributes a table by one column and accepts it only if the primary key, every
unique constraint and unique index, and every foreign key to another distributed table
include that column (and no such key empties it with SET NULL or SET DEFAULT). A database
is migrated to the head on PostgreSQL, its keys are read from ``pg_catalog``, and every
table is either named in ``app/tenancy/distribution.py`` (reference, coordinator, or a
library's prefix) or keeps those rules with ``municipality_id``; a table in neither fails
with its name. The same keys are read from the models created directly in a schema of
their own, and must be the migrated ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from app.core.db import compared, db
from app.tenancy import distribution, rls
from tests.support.apps import TEST_CONFIG, scratch_database_url

ROOT = Path(__file__).resolve().parent.parent
COLUMN = distribution.COLUMN
#: The schema the models are created in, beside the migrated ``public``.
FROM_MODELS = "from_models"

_COLUMNS_OF = """
    ARRAY(SELECT a.attname FROM unnest({keys}::int2[]) WITH ORDINALITY AS k(num, pos)
          JOIN pg_attribute a ON a.attrelid = {table} AND a.attnum = k.num ORDER BY k.pos)
"""
_CONSTRAINTS = f"""
    SELECT t.relname, c.conname, c.contype,
           {_COLUMNS_OF.format(keys="c.conkey", table="c.conrelid")},
           r.relname,
           {_COLUMNS_OF.format(keys="c.confkey", table="c.confrelid")},
           c.confdeltype, c.confupdtype
      FROM pg_constraint c
      JOIN pg_class t ON t.oid = c.conrelid
      LEFT JOIN pg_class r ON r.oid = c.confrelid
     WHERE t.relnamespace = to_regnamespace(%(schema)s) AND c.contype IN ('p', 'u', 'f')
"""
_UNIQUE_INDEXES = f"""
    SELECT t.relname, i.relname, {_COLUMNS_OF.format(keys="x.indkey", table="x.indrelid")},
           coalesce(pg_get_expr(x.indpred, x.indrelid), '')
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_class t ON t.oid = x.indrelid
     WHERE x.indisunique AND t.relnamespace = to_regnamespace(%(schema)s)
"""
_COLUMNS = """
    SELECT table_name, column_name, is_nullable = 'YES'
      FROM information_schema.columns WHERE table_schema = %(schema)s
"""


def _keys(connection: Any, schema: str) -> dict[str, dict[str, Any]]:
    """Per table: its nullable columns by name, primary key, unique constraints, unique
    indexes (with their condition) and foreign keys, as PostgreSQL holds them."""
    tables: dict[str, dict[str, Any]] = {}

    def table(name: str) -> dict[str, Any]:
        return tables.setdefault(
            name, {"columns": {}, "pk": None, "unique": [], "indexes": [], "fks": []}
        )

    for name, column, nullable in connection.exec_driver_sql(_COLUMNS, {"schema": schema}):
        table(name)["columns"][column] = nullable
    for (
        name,
        _name,
        kind,
        columns,
        referred,
        referred_columns,
        on_delete,
        on_update,
    ) in connection.exec_driver_sql(_CONSTRAINTS, {"schema": schema}):
        if kind == "p":
            table(name)["pk"] = tuple(columns)
        elif kind == "u":
            table(name)["unique"].append(tuple(columns))
        else:
            fk = (tuple(columns), referred, tuple(referred_columns), on_delete, on_update)
            table(name)["fks"].append(fk)
    for name, index, columns, condition in connection.exec_driver_sql(
        _UNIQUE_INDEXES, {"schema": schema}
    ):
        table(name)["indexes"].append((index, tuple(columns), condition))
    return tables


@pytest.fixture(scope="module", params=["postgresql"])
def migrated(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Any]:
    """A scratch database at the head, and the models created beside it in their schema."""
    urls = scratch_database_url(request, tmp_path_factory.mktemp("citus"), "citus")
    url = next(urls)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {FROM_MODELS}")
            db.metadata.create_all(
                connection.execution_options(schema_translate_map={None: FROM_MODELS})
            )
        with db.engine.connect() as connection:
            yield connection
        db.engine.dispose()
    next(urls, None)


def _problems(name: str, keys: dict[str, Any], distributed: set[str]) -> list[str]:
    """What keeps the table *name* from being distributed by municipality_id."""
    if COLUMN not in keys["columns"]:
        return [f"{name}: no {COLUMN}, and not named in app/tenancy/distribution.py"]
    problems = []
    if keys["columns"][COLUMN]:
        problems.append(f"{name}: {COLUMN} may be NULL")
    if keys["pk"] is None or COLUMN not in keys["pk"]:
        problems.append(f"{name}: primary key {keys['pk']} without {COLUMN}")
    problems += [
        f"{name}: unique {columns} without {COLUMN}"
        for columns in keys["unique"]
        if COLUMN not in columns
    ]
    problems += [
        f"{name}: unique index {index} {columns} without {COLUMN}"
        for index, columns, _ in keys["indexes"]
        if COLUMN not in columns
    ]
    for columns, referred, referred_columns, on_delete, on_update in keys["fks"]:
        pairs = dict(zip(columns, referred_columns, strict=True))
        if referred in distributed and pairs.get(COLUMN) != COLUMN:
            problems.append(f"{name}: key {columns} -> {referred} without {COLUMN}")
        elif referred not in distributed and not distribution.kept_whole(referred):
            problems.append(f"{name}: key {columns} -> {referred}, neither sharded nor whole")
        if COLUMN in columns and {on_delete, on_update} & {"n", "d"}:
            problems.append(f"{name}: key {columns} -> {referred} sets {COLUMN} on change")
    return problems


def test_every_table_is_sharded_by_municipality_or_named_as_kept_whole(migrated):
    tables = _keys(migrated, "public")
    assert {"family", "submission", "user_account"} <= set(tables)
    distributed = {name for name in tables if not distribution.kept_whole(name)}
    problems = [
        problem
        for name in sorted(distributed)
        for problem in _problems(name, tables[name], distributed)
    ]
    assert problems == []


def test_the_tables_kept_whole_point_only_at_reference_tables(migrated):
    """Citus refuses a key from a reference or coordinator table to a distributed one; a
    library's tables point among themselves."""
    problems = []
    for name, keys in sorted(_keys(migrated, "public").items()):
        if not distribution.kept_whole(name):
            continue
        for columns, referred, *_ in keys["fks"]:
            prefix = next((p for p in distribution.PLATFORM_PREFIXES if name.startswith(p)), None)
            among_its_own = prefix is not None and referred.startswith(prefix)
            if referred in distribution.REFERENCE_TABLES or among_its_own:
                continue
            problems.append(f"{name}: key {columns} -> {referred}, not a reference table")
    assert problems == []


def test_every_unique_key_of_a_reference_table_is_named_with_why(migrated):
    """A key unique across municipalities is a decision: it lives on a reference table and
    is named in the registry, and the registry names no key that is not there."""
    tables = _keys(migrated, "public")
    found = set()
    for name in distribution.REFERENCE_TABLES:
        # A unique constraint is backed by a unique index of the same columns.
        indexes = [columns for _, columns, _ in tables[name]["indexes"]]
        found |= {(name, c) for c in [*tables[name]["unique"], *indexes] if c != tables[name]["pk"]}
    assert found == set(distribution.CROSS_MUNICIPALITY_UNIQUE)


def test_the_registry_names_tables_that_exist_and_every_tenant_model_is_sharded(migrated):
    tables = _keys(migrated, "public")
    named = {*distribution.REFERENCE_TABLES, *distribution.COORDINATOR_TABLES}
    assert sorted(named - set(tables)) == []
    assert set(distribution.REFERENCE_TABLES).isdisjoint(distribution.COORDINATOR_TABLES)
    sharded = set(distribution.distributed_tables(db.metadata))
    # A model with a municipality is sharded by it, or kept on the coordinator by name;
    # one without is named.
    assert sorted(sharded & named) == []
    assert sorted(set(db.metadata.tables) - sharded - named) == []
    assert sharded == {name for name in tables if not distribution.kept_whole(name)}
    # Row-level security draws the same boundary: a policy on every sharded table, and
    # one allowing platform rows on the coordinator's tables with a municipality.
    assert sharded == {*rls.TENANT_TABLES, *rls.OWN_ROW_TABLES}
    with_municipality = {t.name for t in db.metadata.sorted_tables if COLUMN in t.c}
    assert set(rls.PLATFORM_OR_TENANT_TABLES) == with_municipality - sharded


def _without_the_primary_key(keys: dict[str, Any], part: str) -> Any:
    """One part of a table's keys, in order, leaving out a unique key on exactly the
    primary key's columns (the ``(id, municipality_id)`` that SQLite's foreign keys point
    at). CREATE TABLE drops it as redundant; a primary key added later, as the migration
    does, leaves it: the guarantee is the same."""
    if part == "pk":
        return keys["pk"]
    if part == "unique":
        return sorted(columns for columns in keys["unique"] if columns != keys["pk"])
    if part == "indexes":
        return sorted(
            (index, columns, condition)
            for index, columns, condition in keys["indexes"]
            if index.startswith("pk_") or columns != keys["pk"] or condition
        )
    return sorted(keys[part])


def test_the_models_have_the_keys_of_the_migrated_database(migrated):
    """Created from the models (through the primary key with the distribution column)
    or migrated, every table has the same keys; autogenerate sees no key to change."""
    migrated_keys = _keys(migrated, "public")
    model_keys = _keys(migrated, FROM_MODELS)
    differences = []
    for table in sorted(db.metadata.tables):
        for part in ("pk", "unique", "indexes", "fks"):
            ours = _without_the_primary_key(model_keys[table], part)
            theirs = _without_the_primary_key(migrated_keys[table], part)
            if ours != theirs:
                differences.append((table, part, ours, theirs))
    assert differences == [], "\n".join(map(str, differences))
    context = MigrationContext.configure(
        migrated, opts={"compare_type": True, "include_object": compared}
    )
    key_changes = (
        "add_constraint",
        "remove_constraint",
        "add_fk",
        "remove_fk",
        "add_index",
        "remove_index",
    )
    changes = [
        diff
        for diff in compare_metadata(context, db.metadata)
        if isinstance(diff, tuple) and diff[0] in key_changes
    ]
    assert changes == []


def test_the_deployment_guide_lists_every_call_that_would_shard_the_schema():
    app = create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite://"})
    with app.app_context():
        statements = distribution.citus_statements(db.metadata)
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert [s for s in statements if s not in guide] == []
    assert len(statements) == len(db.metadata.tables)

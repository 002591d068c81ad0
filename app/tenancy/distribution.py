"""How the schema would be spread over a Citus cluster: sharded by municipality.

Hosting past one machine means Citus distributed tables with ``municipality_id`` as the
distribution column: a municipality's rows live together on one node, and the joins of one
municipality's pages never leave it. Citus accepts a distributed table only if its primary
key and every unique constraint or unique index include the distribution column, and a
foreign key between two distributed tables only if it includes it on both sides. Every
tenant table is shaped so: its ``municipality_id`` carries :data:`~app.tenancy.models.
SHARD_KEY`, which makes its primary key ``(id, municipality_id)`` on PostgreSQL
(:mod:`app.core.db`), or its primary key names the municipality itself; its unique keys
and the keys of the rows it points at name the municipality too.

The other tables are named here, each with why. A *reference* table is platform-wide and
small: Citus copies it whole to every node, so any distributed table may point at it. A
*coordinator* table holds rows of one municipality or of the platform (a NULL
municipality); a row without its distribution column cannot be sharded, so these stay on
the coordinator as Citus local tables, which may point at reference tables.
``tests/test_distribution_ready.py`` reads the migrated database and fails on a table that
is in neither group and does not keep the rules; docs/deployment.md lists the calls.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table

#: The column every distributed table is sharded by.
COLUMN = "municipality_id"

#: Platform-wide tables, copied to every node; why each is not a tenant's.
REFERENCE_TABLES: dict[str, str] = {
    "municipality": "the tenants themselves: every tenant row points at one",
    "user_account": "a person signs in once for every municipality they work for, so an "
    "e-mail address is unique across municipalities; rows of every municipality name users",
    "one_time_link": "a password link belongs to an account, which is platform-wide",
    "form_version": "the published forms are shared by every municipality (a local form's "
    "id carries its municipality's namespace); every submission points at one",
    "study": "a study is the platform's and spans municipalities",
    "study_researcher": "who works on a study: a platform-wide account on a platform study",
    "export_job": "a study's data package is built across the municipalities that granted it",
    "digest_run": "one row per day for the whole installation, so the day's digest goes once",
}

#: The unique keys that hold across municipalities, each on a reference table, and why.
#: A distributed table cannot hold such a key (Citus checks uniqueness within a shard).
#: The API token's hash, once unique over the installation, is unique per municipality: it
#: hashes a long random secret, so it cannot meet another's, and a token is looked up in
#: its municipality.
CROSS_MUNICIPALITY_UNIQUE: dict[tuple[str, tuple[str, ...]], str] = {
    ("user_account", ("email",)): "one account per address, whichever municipalities it "
    "works for: the address is how a person signs in, before any municipality is chosen",
    ("municipality", ("code",)): "Danmarks Statistik's code names one municipality",
    ("municipality", ("slug",)): "the slug is the municipality's part of every address",
    ("one_time_link", ("token_hash",)): "a link is opened before anyone is signed in",
    ("form_version", ("form_id", "version")): "one published version of a shared form",
    ("study", ("once_token",)): "the operator's form creates one study, however often sent",
    ("study_researcher", ("study_id", "user_id")): "a researcher is on a study once",
}

#: Tables whose rows belong to one municipality or to the platform (NULL municipality_id):
#: Citus local tables on the coordinator; why each must keep platform rows.
COORDINATOR_TABLES: dict[str, str] = {
    "audit_event": "platform events (a failed sign-in of an unknown address, an operator's "
    "change) have no municipality, and the trail is one append-only sequence",
    "report_job": "a study's report spans municipalities and belongs to the platform",
    "alembic_version": "the schema's revision, which the migrations read on the coordinator",
    "job_queue": "the job queue of a single machine on SQLite; on PostgreSQL the jobs queue "
    "in Procrastinate's tables and this one stays empty",
}

#: Tables named by a prefix, owned by a library rather than by a model, and why.
PLATFORM_PREFIXES: dict[str, str] = {
    "procrastinate_": "Procrastinate's job queue: one queue for the installation, whose "
    "workers take jobs of every municipality",
}


def kept_whole(table: str) -> bool:
    """Whether *table* is one of the named exceptions (reference, coordinator, prefix)."""
    return (
        table in REFERENCE_TABLES
        or table in COORDINATOR_TABLES
        or any(table.startswith(prefix) for prefix in PLATFORM_PREFIXES)
    )


def is_distributed(table: Table) -> bool:
    """Whether the model's table is sharded: it has a municipality and is not kept on the
    coordinator. Its ``municipality_id`` carries :data:`~app.tenancy.models.SHARD_KEY`
    (through ``TenantOwned``) where the primary key does not name it already."""
    return COLUMN in table.c and table.name not in COORDINATOR_TABLES


def distributed_tables(metadata: MetaData) -> list[str]:
    """The sharded tables, each after the tables it points at (as Citus needs them)."""
    return [t.name for t in metadata.sorted_tables if is_distributed(t)]


def citus_statements(metadata: MetaData) -> list[str]:
    """What would turn a migrated database into a Citus one, in order: reference tables
    first (the distributed tables' foreign keys point at them), then the distributed ones,
    each after those it points at, all co-located by their common distribution column,
    then the coordinator's tables of the models."""
    ordered = [t.name for t in metadata.sorted_tables]
    return [
        *(f"SELECT create_reference_table('{t}');" for t in ordered if t in REFERENCE_TABLES),
        *(
            f"SELECT create_distributed_table('{table}', '{COLUMN}');"
            for table in distributed_tables(metadata)
        ),
        *(
            f"SELECT citus_add_local_table_to_metadata('{t}');"
            for t in ordered
            if t in COORDINATOR_TABLES
        ),
    ]

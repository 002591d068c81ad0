"""tenant keys: every key of a tenant table names the municipality, ready for Citus

Citus shards a table by one column (here ``municipality_id``) and accepts it only if its
primary key, its unique constraints and unique indexes, and its foreign keys to other
sharded tables include that column. On PostgreSQL every tenant table's primary key becomes
``(id, municipality_id)``; on SQLite it stays ``id``, the rowid that gives out the ids
(Citus is PostgreSQL). On both, the unique keys of tenant tables and the API token's key to
its membership gain the municipality; that key loses ON DELETE SET NULL, which would empty
the municipality too (the application unties the tokens before deleting a membership).

Revision ID: 0024_tenant_keys
Revises: 0020_plan_goals
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_tenant_keys'
down_revision = '0023_job_queue'
branch_labels = None
depends_on = None

#: Every table whose rows belong to one municipality (NOT NULL municipality_id).
TENANT_TABLES = (
    'api_token',
    'assignment',
    'department',
    'export_record',
    'family',
    'family_member',
    'form_token',
    'idempotency_key',
    'invitation',
    'membership',
    'plan',
    'plan_goal',
    'plan_goal_revision',
    'plan_goal_status',
    'research_grant',
    'submission',
    'wave',
    'wave_approval',
)

#: (table, columns before) of the unique constraints that gain the municipality.
UNIQUE_CONSTRAINTS = (
    ('api_token', ['token_hash']),
    ('plan', ['family_id']),
    ('plan_goal_status', ['goal_id', 'wave_id']),
    ('wave', ['family_id', 'key']),
)

#: (table, name, columns before, condition) of the partial unique indexes that gain it.
UNIQUE_INDEXES = (
    ('submission', 'uq_submission_family_form', ['wave_id', 'form_id'], 'member_id IS NULL'),
    (
        'submission',
        'uq_submission_member_form',
        ['wave_id', 'form_id', 'member_id'],
        'member_id IS NOT NULL',
    ),
    (
        'assignment',
        'uq_assignment_active_lead',
        ['family_id', 'kind'],
        "active AND kind != 'team_member'",
    ),
    ('assignment', 'uq_assignment_contact_person', ['family_id'], 'active AND contact_person'),
)


def _unique_name(table, columns):
    return f"uq_{table}_{'_'.join(columns)}"


def _primary_keys(columns):
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TENANT_TABLES:
        op.execute(
            f'ALTER TABLE {table} DROP CONSTRAINT pk_{table}, '
            f'ADD CONSTRAINT pk_{table} PRIMARY KEY ({columns})'
        )


def _unique_indexes(with_municipality):
    for table, name, columns, condition in UNIQUE_INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(
            name,
            table,
            [*columns, 'municipality_id'] if with_municipality else columns,
            unique=True,
            sqlite_where=sa.text(condition),
            postgresql_where=sa.text(condition),
        )


def upgrade():
    # The token's key to its membership leans on the membership's primary key: it goes
    # first, and comes back as (membership_id, municipality_id).
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint('fk_api_token_membership_id_membership', type_='foreignkey')
    _primary_keys('id, municipality_id')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        # What the token's key points at on SQLite, where the primary key stays the id.
        batch_op.create_unique_constraint(
            'uq_membership_id_municipality_id', ['id', 'municipality_id']
        )
    for table, columns in UNIQUE_CONSTRAINTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(_unique_name(table, columns), type_='unique')
            batch_op.create_unique_constraint(
                _unique_name(table, [*columns, 'municipality_id']),
                [*columns, 'municipality_id'],
            )
    _unique_indexes(with_municipality=True)
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_api_token_membership_id_municipality_id_membership',
            'membership',
            ['membership_id', 'municipality_id'],
            ['id', 'municipality_id'],
        )


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint(
            'fk_api_token_membership_id_municipality_id_membership', type_='foreignkey'
        )
    _unique_indexes(with_municipality=False)
    for table, columns in UNIQUE_CONSTRAINTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                _unique_name(table, [*columns, 'municipality_id']), type_='unique'
            )
            batch_op.create_unique_constraint(_unique_name(table, columns), columns)
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_constraint('uq_membership_id_municipality_id', type_='unique')
    _primary_keys('id')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_api_token_membership_id_membership',
            'membership',
            ['membership_id'],
            ['id'],
            ondelete='SET NULL',
        )

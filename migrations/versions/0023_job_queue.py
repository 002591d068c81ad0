"""the job queue: the local queue table (SQLite) and Procrastinate's schema (PostgreSQL)

Revision ID: 0023_job_queue
Revises: 0020_plan_goals
Create Date: 2026-12-02

"""
from importlib import resources

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_job_queue'
down_revision = '0021_answer_values'
branch_labels = None
depends_on = None

#: Procrastinate's objects, for the way down (its schema file has no reverse).
_PROCRASTINATE_TABLES = (
    'procrastinate_events', 'procrastinate_periodic_defers', 'procrastinate_jobs',
    'procrastinate_workers',
)
_PROCRASTINATE_TYPES = (
    'procrastinate_job_to_defer_v1', 'procrastinate_job_event_type', 'procrastinate_job_status',
)


def upgrade():
    op.create_table('job_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=100), nullable=False),
    sa.Column('args', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker', sa.String(length=100), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_queue'))
    )
    with op.batch_alter_table('job_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_queue_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_queue_status'), ['status'], unique=False)

    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # The installed Procrastinate's own schema, as its `schema --apply` would write it.
        schema = resources.files('procrastinate.sql').joinpath('schema.sql').read_text()
        # Many statements in one: only psycopg's own cursor, given no parameters, sends
        # them so (SQLAlchemy's always passes parameters).
        with bind.connection.dbapi_connection.cursor() as cursor:
            cursor.execute(schema)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for table in _PROCRASTINATE_TABLES:
            bind.exec_driver_sql(f'DROP TABLE IF EXISTS {table} CASCADE')
        bind.exec_driver_sql(
            "DO $$ DECLARE f regprocedure; BEGIN "
            "FOR f IN SELECT p.oid::regprocedure FROM pg_proc p "
            "WHERE starts_with(p.proname, 'procrastinate') "
            "AND p.pronamespace = current_schema()::regnamespace "
            "LOOP EXECUTE 'DROP FUNCTION ' || f; END LOOP; END $$"
        )
        for type_ in _PROCRASTINATE_TYPES:
            bind.exec_driver_sql(f'DROP TYPE IF EXISTS {type_}')
    with op.batch_alter_table('job_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_queue_status'))
        batch_op.drop_index(batch_op.f('ix_job_queue_key'))
    op.drop_table('job_queue')

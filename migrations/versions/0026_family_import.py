"""family import: the family's external reference (unique per municipality) and the
uploaded import files kept between their preview and their confirmation

Revision ID: 0026_family_import
Revises: 0025_sso
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0026_family_import'
down_revision = '0025_sso'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('family', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_ref', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_family_external_ref_municipality_id'), ['external_ref', 'municipality_id']
        )
    # On PostgreSQL a tenant table's primary key names the municipality (0024).
    postgres = op.get_bind().dialect.name == 'postgresql'
    json = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
    op.create_table('family_import',
    # A serial id also where the primary key has two columns.
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('file_format', sa.String(length=4), nullable=False),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('problems', json, nullable=False),
    sa.Column('summary', json, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("file_format IN ('xlsx', 'csv')", name=op.f('ck_family_import_file_format')),
    sa.CheckConstraint("status IN ('checked', 'queued', 'running', 'done', 'failed')", name=op.f('ck_family_import_status')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_family_import_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_family_import_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint(*(['id', 'municipality_id'] if postgres else ['id']), name=op.f('pk_family_import'))
    )
    with op.batch_alter_table('family_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_import_municipality_id'), ['municipality_id'], unique=False)
    # Row-level security for the new tenant table (the others' are installed again, unchanged).
    rls.install(op.get_bind())


def downgrade():
    # Dropping the table drops its policy with it.
    op.drop_table('family_import')
    with op.batch_alter_table('family', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_family_external_ref_municipality_id'), type_='unique')
        batch_op.drop_column('external_ref')

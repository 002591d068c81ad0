"""single sign-on: the identities municipalities' OpenID providers vouch for

Revision ID: 0025_sso
Revises: 0024_tenant_keys
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa

from app.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0025_sso'
down_revision = '0024_tenant_keys'
branch_labels = None
depends_on = None


def upgrade():
    # The tenant key as in 0024: (id, municipality_id) on PostgreSQL, where tables are
    # sharded by municipality; only id on SQLite, whose INTEGER PRIMARY KEY is the rowid.
    key = ['id', 'municipality_id'] if op.get_bind().dialect.name == 'postgresql' else ['id']
    op.create_table('sso_identity',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_sso_identity_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_sso_identity_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint(*key, name=op.f('pk_sso_identity')),
    sa.UniqueConstraint('municipality_id', 'issuer', 'subject', name=op.f('uq_sso_identity_municipality_id_issuer_subject')),
    )
    with op.batch_alter_table('sso_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_identity_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sso_identity_user_id'), ['user_id'], unique=False)

    # Row-level security for the new tenant table (the policies of every existing table
    # are installed again, unchanged).
    rls.install(op.get_bind())


def downgrade():
    # Dropping the table drops its policy with it.
    op.drop_table('sso_identity')

"""security: two-factor columns, append-only audit triggers, PostgreSQL row-level security

Revision ID: 0007_security
Revises: 0006_reports
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa

from app.audit import guard
from app.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0007_security'
down_revision = '0006_reports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    bind = op.get_bind()
    guard.install(bind)
    rls.install(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for statement in rls.drop_statements():
            bind.exec_driver_sql(statement)
    guard.remove(bind)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')

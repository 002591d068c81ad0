"""sessions that end: a per-user session generation, second-step failures kept server-side

Revision ID: 0011_session_generation
Revises: 0010_dashboard_indexes
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_session_generation'
down_revision = '0010_dashboard_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('totp_failures', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
        batch_op.drop_column('totp_failures')

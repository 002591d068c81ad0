"""data-quality checks: the warnings confirmed with each submission

Revision ID: 0014_check_confirmations
Revises: 0013_idempotency
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0014_check_confirmations'
down_revision = '0013_idempotency'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        # Existing submissions confirmed nothing: the checks did not exist when they were saved.
        batch_op.add_column(sa.Column('confirmed_checks', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='[]'))
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.alter_column('confirmed_checks', server_default=None)


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('confirmed_checks')

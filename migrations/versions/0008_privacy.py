"""privacy: anonymisation and erasure marks

Revision ID: 0008_privacy
Revises: 0007_security
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_privacy'
down_revision = '0007_security'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('family', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('family_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('family_member', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
    with op.batch_alter_table('family', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

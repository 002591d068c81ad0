"""idempotent writes: API idempotency keys and one-time form tokens

Revision ID: 0013_idempotency
Revises: 0012_invitations_tokens
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_idempotency'
down_revision = '0012_invitations_tokens'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

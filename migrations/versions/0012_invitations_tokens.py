"""invitations for existing accounts; an API token belongs to the membership it was issued under

Revision ID: 0012_invitations_tokens
Revises: 0011_session_generation
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_invitations_tokens'
down_revision = '0011_session_generation'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""dashboard indexes: open waves and drafts

Revision ID: 0010_dashboard_indexes
Revises: 0009_department_keys
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_dashboard_indexes'
down_revision = '0009_department_keys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_submission_drafts', 'submission', ['municipality_id', 'updated_at'], unique=False,
        sqlite_where=sa.text("status = 'draft'"), postgresql_where=sa.text("status = 'draft'"),
    )
    op.create_index(
        'ix_wave_open', 'wave', ['municipality_id', 'window_start', 'window_end'], unique=False,
        sqlite_where=sa.text('completed_at IS NULL'),
        postgresql_where=sa.text('completed_at IS NULL'),
    )


def downgrade():
    op.drop_index('ix_wave_open', table_name='wave')
    op.drop_index('ix_submission_drafts', table_name='submission')

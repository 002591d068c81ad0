"""waves: the reason a wave could not be collected, who recorded it and when

Revision ID: 0015_missed_waves
Revises: 0014_check_confirmations
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_missed_waves'
down_revision = '0014_check_confirmations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wave', schema=None) as batch_op:
        # Existing waves have no reason: a closed, incomplete one is overdue until given one.
        batch_op.add_column(sa.Column('missed_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('missed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('missed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_wave_missed_by_id_user_account'), 'user_account', ['missed_by_id'], ['id'])
        batch_op.create_check_constraint(
            'missed_reason',
            "missed_reason IS NULL OR missed_reason IN "
            "('declined', 'moved', 'not_reached', 'exited_early', 'other')",
        )


def downgrade():
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_wave_missed_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_wave_missed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('missed_by_id')
        batch_op.drop_column('missed_at')
        batch_op.drop_column('missed_reason')

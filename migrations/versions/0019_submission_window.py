"""submission: the reason a form was submitted outside its wave's window, who confirmed it
and when

Revision ID: 0019_submission_window
Revises: 0018_mail
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_submission_window'
down_revision = '0018_mail'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        # Submissions made before the rule have no reason: they stay as they were.
        batch_op.add_column(sa.Column('window_reason', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('window_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('window_confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_submission_window_confirmed_by_id_user_account'), 'user_account', ['window_confirmed_by_id'], ['id'])
        batch_op.create_check_constraint(
            'window_reason',
            "window_reason IS NULL OR window_reason IN "
            "('family_unavailable', 'contact_delayed', 'rescheduled_by_family', "
            "'caseworker_absent', 'data_entered_late', 'other')",
        )


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_submission_window_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_submission_window_confirmed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('window_confirmed_by_id')
        batch_op.drop_column('window_confirmed_at')
        batch_op.drop_column('window_reason')

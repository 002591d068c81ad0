"""submissions: who submitted each form, for the family overview

Revision ID: 0017_overview
Revises: 0016_member_search
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_overview'
down_revision = '0016_member_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_submission_submitted_by_id_user_account'), 'user_account', ['submitted_by_id'], ['id'])
    # Submitted before the column existed: the audit trail says who submitted it; where it
    # has no such event, the last person who saved it is the best answer there is.
    op.execute(
        """
        UPDATE submission SET submitted_by_id = COALESCE(
            (SELECT e.actor_id FROM audit_event e
              WHERE e.action = 'submission.submitted' AND e.object_type = 'submission'
                AND e.object_id = CAST(submission.id AS VARCHAR(60))
              ORDER BY e.id LIMIT 1),
            submission.updated_by_id)
        WHERE status = 'submitted'
        """
    )


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submission_submitted_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('submitted_by_id')

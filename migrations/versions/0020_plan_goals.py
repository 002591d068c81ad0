"""plan goals: target date, responsible person, the family's words, hidden from external
contact persons, soft deletion, an optimistic lock and the revisions of each goal

Revision ID: 0020_plan_goals
Revises: 0019_submission_window
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa

from app.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0020_plan_goals'
down_revision = '0019_submission_window'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan_goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('responsible_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('family_words', sa.Text(), nullable=True))
        # Existing goals stay visible to external contact persons, as they were.
        batch_op.add_column(sa.Column('hidden_from_external', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lock_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_foreign_key(batch_op.f('fk_plan_goal_responsible_user_id_user_account'), 'user_account', ['responsible_user_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_plan_goal_deleted_by_id_user_account'), 'user_account', ['deleted_by_id'], ['id'])
    with op.batch_alter_table('plan_goal', schema=None) as batch_op:
        batch_op.alter_column('hidden_from_external', server_default=None)
        batch_op.alter_column('lock_version', server_default=None)

    op.create_table('plan_goal_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('life_area', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('responsible_department_id', sa.Integer(), nullable=True),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('responsible_user_id', sa.Integer(), nullable=True),
    sa.Column('family_words', sa.Text(), nullable=True),
    sa.Column('hidden_from_external', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("action IN ('edited', 'deleted')", name=op.f('ck_plan_goal_revision_action')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'], name=op.f('fk_plan_goal_revision_changed_by_id_user_account')),
    sa.ForeignKeyConstraint(['goal_id', 'municipality_id'], ['plan_goal.id', 'plan_goal.municipality_id'], name=op.f('fk_plan_goal_revision_goal_id_plan_goal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_plan_goal_revision_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_goal_revision'))
    )
    with op.batch_alter_table('plan_goal_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_goal_revision_goal_id'), ['goal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_goal_revision_municipality_id'), ['municipality_id'], unique=False)

    # Row-level security for the new tenant table (the policies of every existing table
    # are installed again, unchanged).
    rls.install(op.get_bind())


def downgrade():
    with op.batch_alter_table('plan_goal_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_goal_revision_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_plan_goal_revision_goal_id'))

    op.drop_table('plan_goal_revision')
    with op.batch_alter_table('plan_goal', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_plan_goal_deleted_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_plan_goal_responsible_user_id_user_account'), type_='foreignkey')
        batch_op.drop_column('lock_version')
        batch_op.drop_column('deleted_by_id')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('hidden_from_external')
        batch_op.drop_column('family_words')
        batch_op.drop_column('responsible_user_id')
        batch_op.drop_column('target_date')

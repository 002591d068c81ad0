"""teams, joint plans, membership departments

Revision ID: 0003_teams_plans
Revises: 0002_families_forms
Create Date: 2026-11-23

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_teams_plans'
down_revision = '0002_families_forms'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('team_role', sa.String(length=120), nullable=True),
    sa.Column('contact_person', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('coordinator', 'entry_caseworker', 'team_member')", name=op.f('ck_assignment_kind')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_assignment_department_id_department')),
    sa.ForeignKeyConstraint(['family_id', 'municipality_id'], ['family.id', 'family.municipality_id'], name=op.f('fk_assignment_family_id_municipality_id_family'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_assignment_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_assignment_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment')),
    sa.UniqueConstraint('id', 'municipality_id', name=op.f('uq_assignment_id_municipality_id'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index('ix_assignment_user_active', ['user_id', 'active'], unique=False)
        batch_op.create_index('uq_assignment_active_lead', ['family_id', 'kind'], unique=True, sqlite_where=sa.text("active AND kind != 'team_member'"), postgresql_where=sa.text("active AND kind != 'team_member'"))
        batch_op.create_index('uq_assignment_contact_person', ['family_id'], unique=True, sqlite_where=sa.text('active AND contact_person'), postgresql_where=sa.text('active AND contact_person'))

    op.create_table('plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('phases', sa.Integer(), nullable=False),
    sa.Column('phase_months', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['family_id', 'municipality_id'], ['family.id', 'family.municipality_id'], name=op.f('fk_plan_family_id_municipality_id_family'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_plan_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan')),
    sa.UniqueConstraint('family_id', name=op.f('uq_plan_family_id')),
    sa.UniqueConstraint('id', 'municipality_id', name=op.f('uq_plan_id_municipality_id'))
    )
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('plan_goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('life_area', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('responsible_department_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("life_area IN ('work_education', 'children_school_wellbeing', 'economy', 'health', 'housing', 'everyday_structure', 'leisure')", name=op.f('ck_plan_goal_life_area')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_plan_goal_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['plan_id', 'municipality_id'], ['plan.id', 'plan.municipality_id'], name=op.f('fk_plan_goal_plan_id_municipality_id_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responsible_department_id'], ['department.id'], name=op.f('fk_plan_goal_responsible_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_goal')),
    sa.UniqueConstraint('id', 'municipality_id', name=op.f('uq_plan_goal_id_municipality_id'))
    )
    with op.batch_alter_table('plan_goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_goal_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_goal_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_goal_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('achieved', 'partly', 'not_achieved', 'changed', 'dropped')", name=op.f('ck_plan_goal_status_status')),
    sa.ForeignKeyConstraint(['goal_id', 'municipality_id'], ['plan_goal.id', 'plan_goal.municipality_id'], name=op.f('fk_plan_goal_status_goal_id_municipality_id_plan_goal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_plan_goal_status_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_plan_goal_status_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['wave_id', 'municipality_id'], ['wave.id', 'wave.municipality_id'], name=op.f('fk_plan_goal_status_wave_id_municipality_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_goal_status')),
    sa.UniqueConstraint('goal_id', 'wave_id', name=op.f('uq_plan_goal_status_goal_id_wave_id'))
    )
    with op.batch_alter_table('plan_goal_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_goal_status_goal_id'), ['goal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_goal_status_municipality_id'), ['municipality_id'], unique=False)

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('joint_team', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('organisation_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('organisation_type', sa.String(length=30), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_membership_department_id_department'), 'department', ['department_id'], ['id'], ondelete='SET NULL')

    # Families enrolled before joint plans existed get one, with their municipality's phases.
    connection = op.get_bind()
    municipality = sa.table("municipality", sa.column("id"), sa.column("settings", sa.JSON()))
    family = sa.table("family", sa.column("id"), sa.column("municipality_id"))
    plan = sa.table(
        "plan", sa.column("family_id"), sa.column("municipality_id"), sa.column("phases"),
        sa.column("phase_months"), sa.column("created_at"), sa.column("updated_at"),
    )
    settings = {row.id: row.settings or {} for row in connection.execute(sa.select(municipality))}
    now = datetime.now(UTC)
    for row in connection.execute(sa.select(family)):
        joint = settings.get(row.municipality_id, {}).get("joint_plan", {})
        connection.execute(plan.insert().values(
            family_id=row.id, municipality_id=row.municipality_id,
            phases=int(joint.get("phases", 1)), phase_months=int(joint.get("phase_months", 6)),
            created_at=now, updated_at=now,
        ))


def downgrade():
    
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_membership_department_id_department'), type_='foreignkey')
        batch_op.drop_column('organisation_type')
        batch_op.drop_column('organisation_name')
        batch_op.drop_column('joint_team')
        batch_op.drop_column('department_id')

    with op.batch_alter_table('plan_goal_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_goal_status_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_plan_goal_status_goal_id'))

    op.drop_table('plan_goal_status')
    with op.batch_alter_table('plan_goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_goal_plan_id'))
        batch_op.drop_index(batch_op.f('ix_plan_goal_municipality_id'))

    op.drop_table('plan_goal')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_municipality_id'))

    op.drop_table('plan')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('uq_assignment_contact_person', sqlite_where=sa.text('active AND contact_person'), postgresql_where=sa.text('active AND contact_person'))
        batch_op.drop_index('uq_assignment_active_lead', sqlite_where=sa.text("active AND kind != 'team_member'"), postgresql_where=sa.text("active AND kind != 'team_member'"))
        batch_op.drop_index('ix_assignment_user_active')
        batch_op.drop_index(batch_op.f('ix_assignment_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_family_id'))

    op.drop_table('assignment')
    

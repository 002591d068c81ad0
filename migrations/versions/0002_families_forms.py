"""families, members, waves, form versions, submissions

Revision ID: 0002_families_forms
Revises: 0001_foundation
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002_families_forms'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('form_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_version')),
    sa.UniqueConstraint('form_id', 'version', name=op.f('uq_form_version_form_id_version'))
    )
    with op.batch_alter_table('form_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_version_form_id'), ['form_id'], unique=False)

    op.create_table('family',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('enrolment_date', sa.Date(), nullable=False),
    sa.Column('team_model', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('exit_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'exited')", name=op.f('ck_family_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_family_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_family_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family')),
    sa.UniqueConstraint('id', 'municipality_id', name=op.f('uq_family_id_municipality_id'))
    )
    with op.batch_alter_table('family', schema=None) as batch_op:
        batch_op.create_index('ix_family_municipality_enrolment', ['municipality_id', 'enrolment_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('family_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('cpr', sa.String(length=255), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('adult', 'child')", name=op.f('ck_family_member_role')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_family_member_dates')),
    sa.ForeignKeyConstraint(['family_id', 'municipality_id'], ['family.id', 'family.municipality_id'], name=op.f('fk_family_member_family_id_municipality_id_family'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_family_member_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_member')),
    sa.UniqueConstraint('id', 'municipality_id', name=op.f('uq_family_member_id_municipality_id'))
    )
    with op.batch_alter_table('family_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_member_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_member_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('wave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('month', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('intake', 'follow_up', 'exit')", name=op.f('ck_wave_kind')),
    sa.ForeignKeyConstraint(['family_id', 'municipality_id'], ['family.id', 'family.municipality_id'], name=op.f('fk_wave_family_id_municipality_id_family'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_wave_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wave')),
    sa.UniqueConstraint('family_id', 'key', name=op.f('uq_wave_family_id_key')),
    sa.UniqueConstraint('id', 'municipality_id', name=op.f('uq_wave_id_municipality_id'))
    )
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wave_family_id'), ['family_id'], unique=False)
        batch_op.create_index('ix_wave_municipality_due', ['municipality_id', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_wave_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('form_id', sa.String(length=80), nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_submission_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_submission_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['family_id', 'municipality_id'], ['family.id', 'family.municipality_id'], name=op.f('fk_submission_family_id_municipality_id_family')),
    sa.ForeignKeyConstraint(['form_version_id'], ['form_version.id'], name=op.f('fk_submission_form_version_id_form_version')),
    sa.ForeignKeyConstraint(['member_id', 'municipality_id'], ['family_member.id', 'family_member.municipality_id'], name=op.f('fk_submission_member_id_municipality_id_family_member')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_submission_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_submission_updated_by_id_user_account')),
    sa.ForeignKeyConstraint(['wave_id', 'municipality_id'], ['wave.id', 'wave.municipality_id'], name=op.f('fk_submission_wave_id_municipality_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_wave_id'), ['wave_id'], unique=False)
        batch_op.create_index('uq_submission_family_form', ['wave_id', 'form_id'], unique=True, sqlite_where=sa.text('member_id IS NULL'), postgresql_where=sa.text('member_id IS NULL'))
        batch_op.create_index('uq_submission_member_form', ['wave_id', 'form_id', 'member_id'], unique=True, sqlite_where=sa.text('member_id IS NOT NULL'), postgresql_where=sa.text('member_id IS NOT NULL'))

    


def downgrade():
    
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('uq_submission_member_form', sqlite_where=sa.text('member_id IS NOT NULL'), postgresql_where=sa.text('member_id IS NOT NULL'))
        batch_op.drop_index('uq_submission_family_form', sqlite_where=sa.text('member_id IS NULL'), postgresql_where=sa.text('member_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_submission_wave_id'))
        batch_op.drop_index(batch_op.f('ix_submission_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_submission_member_id'))
        batch_op.drop_index(batch_op.f('ix_submission_family_id'))

    op.drop_table('submission')
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wave_municipality_id'))
        batch_op.drop_index('ix_wave_municipality_due')
        batch_op.drop_index(batch_op.f('ix_wave_family_id'))

    op.drop_table('wave')
    with op.batch_alter_table('family_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_member_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_family_member_family_id'))

    op.drop_table('family_member')
    with op.batch_alter_table('family', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_municipality_id'))
        batch_op.drop_index('ix_family_municipality_enrolment')

    op.drop_table('family')
    with op.batch_alter_table('form_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_version_form_id'))

    op.drop_table('form_version')
    

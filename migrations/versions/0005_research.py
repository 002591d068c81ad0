"""research studies grants approvals exports

Revision ID: 0005_research
Revises: 0004_api_tokens
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0005_research'
down_revision = '0004_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('study',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('pseudonym_key', sa.String(length=255), nullable=False),
    sa.Column('suppression_k', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study'))
    )
    op.create_table('export_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('progress', sa.String(length=200), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('checksum', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_export_job_study_id_study')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_export_job_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job'))
    )
    op.create_table('export_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('row_counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_export_record_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_export_record_study_id_study')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_export_record_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_record'))
    )
    with op.batch_alter_table('export_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_record_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_record_study_id'), ['study_id'], unique=False)

    op.create_table('research_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('forms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('waves', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=True),
    sa.Column('period_to', sa.Date(), nullable=True),
    sa.Column('free_text', sa.Boolean(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user_account.id'], name=op.f('fk_research_grant_granted_by_id_user_account')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_research_grant_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_research_grant_study_id_study'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_research_grant'))
    )
    with op.batch_alter_table('research_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_research_grant_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_research_grant_study_id'), ['study_id'], unique=False)

    op.create_table('study_researcher',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['study_id'], ['study.id'], name=op.f('fk_study_researcher_study_id_study'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_study_researcher_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_researcher')),
    sa.UniqueConstraint('study_id', 'user_id', name=op.f('uq_study_researcher_study_id_user_id'))
    )
    op.create_table('wave_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_key', sa.String(length=20), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'], name=op.f('fk_wave_approval_changed_by_id_user_account')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_wave_approval_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wave_approval')),
    sa.UniqueConstraint('municipality_id', 'wave_key', name=op.f('uq_wave_approval_municipality_id_wave_key'))
    )
    with op.batch_alter_table('wave_approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wave_approval_municipality_id'), ['municipality_id'], unique=False)

    


def downgrade():
    
    with op.batch_alter_table('wave_approval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wave_approval_municipality_id'))

    op.drop_table('wave_approval')
    op.drop_table('study_researcher')
    with op.batch_alter_table('research_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_research_grant_study_id'))
        batch_op.drop_index(batch_op.f('ix_research_grant_municipality_id'))

    op.drop_table('research_grant')
    with op.batch_alter_table('export_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_record_study_id'))
        batch_op.drop_index(batch_op.f('ix_export_record_municipality_id'))

    op.drop_table('export_record')
    op.drop_table('export_job')
    op.drop_table('study')
    

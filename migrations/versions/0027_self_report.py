"""self-report: the links through which a parent answers a wave's WHO-5 questions, and
the fields of a submission the person answered themselves

Revision ID: 0027_self_report
Revises: 0026_family_import
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.tenancy import rls

# revision identifiers, used by Alembic.
revision = '0027_self_report'
down_revision = '0026_family_import'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('self_report_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.String(length=80), nullable=False),
    sa.Column('instrument', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kiosk', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_self_report_link_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['family_id', 'municipality_id'], ['family.id', 'family.municipality_id'], name=op.f('fk_self_report_link_family_id_municipality_id_family'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id', 'municipality_id'], ['family_member.id', 'family_member.municipality_id'], name=op.f('fk_self_report_link_member_id_municipality_id_family_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_self_report_link_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['wave_id', 'municipality_id'], ['wave.id', 'wave.municipality_id'], name=op.f('fk_self_report_link_wave_id_municipality_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_self_report_link')),
    sa.UniqueConstraint('id', 'municipality_id', name=op.f('uq_self_report_link_id_municipality_id')),
    sa.UniqueConstraint('municipality_id', 'token_hash', name=op.f('uq_self_report_link_municipality_id_token_hash'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        # A tenant table's primary key names the municipality there (0024_tenant_keys).
        op.execute(
            'ALTER TABLE self_report_link DROP CONSTRAINT pk_self_report_link, '
            'ADD CONSTRAINT pk_self_report_link PRIMARY KEY (id, municipality_id)'
        )
    with op.batch_alter_table('self_report_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_self_report_link_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_self_report_link_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_self_report_link_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_self_report_link_wave_id'), ['wave_id'], unique=False)

    with op.batch_alter_table('submission', schema=None) as batch_op:
        # Everything answered so far was answered by staff.
        batch_op.add_column(sa.Column('self_reported', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='[]'))
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.alter_column('self_reported', server_default=None)
    # Row-level security for the new tenant table (the policies of every existing table
    # are installed again, unchanged).
    rls.install(op.get_bind())


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('self_reported')

    with op.batch_alter_table('self_report_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_self_report_link_wave_id'))
        batch_op.drop_index(batch_op.f('ix_self_report_link_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_self_report_link_member_id'))
        batch_op.drop_index(batch_op.f('ix_self_report_link_family_id'))

    op.drop_table('self_report_link')

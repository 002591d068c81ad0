"""invitations for existing accounts; an API token belongs to the membership it was issued under

Revision ID: 0012_invitations_tokens
Revises: 0011_session_generation
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa

from app.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0012_invitations_tokens'
down_revision = '0011_session_generation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_invitation_invited_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_invitation_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_invitation_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_user_id'), ['user_id'], unique=False)

    # Row-level security for the new table (the policies of every existing table are
    # installed again, unchanged).
    bind = op.get_bind()
    rls.install(bind)

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('membership_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_token_membership_id'), ['membership_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_api_token_membership_id_membership'), 'membership', ['membership_id'], ['id'], ondelete='SET NULL')
    # Each token joins the membership its user holds in its municipality, if that
    # membership is older than the token. A token older than the membership was issued
    # under an earlier one, since removed: it stays untied, and so unusable.
    if bind.dialect.name == 'postgresql':
        # Row-level security binds the owner too: this one statement sees every municipality.
        bind.exec_driver_sql(f"SELECT set_config('{rls.CROSS_TENANT}', 'on', true)")
    op.execute(
        'UPDATE api_token SET membership_id = ('
        'SELECT membership.id FROM membership'
        ' WHERE membership.user_id = api_token.user_id'
        ' AND membership.municipality_id = api_token.municipality_id'
        ' AND membership.created_at <= api_token.created_at)'
    )
    if bind.dialect.name == 'postgresql':
        bind.exec_driver_sql(f"SELECT set_config('{rls.CROSS_TENANT}', '', true)")


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_token_membership_id_membership'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_token_membership_id'))
        batch_op.drop_column('membership_id')

    # Dropping the table drops its policy with it.
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_user_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_municipality_id'))

    op.drop_table('invitation')

"""members: a keyed hash of the CPR number, so the family list can find a person by it

The hash (HMAC-SHA256 with a key derived from FIELD_ENCRYPTION_KEY, see app/core/crypto.py)
is filled in here for every member who has a CPR number: the migration runs inside the
application (``flask db upgrade``), which holds the key. Should a database have been
migrated without it, ``flask privacy rehash-cpr`` fills the hashes in again, and the
family list does so itself the first time it is searched by a CPR number (see
docs/deployment.md).

Studies get the one-time token of the operator's form that created them, so the same form
sent twice creates one study.

Revision ID: 0016_member_search
Revises: 0015_missed_waves
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_member_search'
down_revision = '0015_missed_waves'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('family_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cpr_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_family_member_cpr_hash'), ['cpr_hash'], unique=False)
    with op.batch_alter_table('study', schema=None) as batch_op:
        # The operator's form that created the study: sent twice, it creates one.
        batch_op.add_column(sa.Column('once_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_study_once_token'), ['once_token'])
    _backfill()


def _backfill():
    # Imported here, not at the top: Alembic loads every migration file, and only this
    # step needs the application's key.
    from app.core.crypto import decrypt
    from app.families.models import cpr_lookup_hash

    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # Row-level security binds the owner too: this step reads every municipality.
        bind.execute(sa.text("SELECT set_config('helhed.cross_tenant', 'on', true)"))
    rows = bind.execute(
        sa.text("SELECT id, cpr FROM family_member WHERE cpr IS NOT NULL")
    ).all()
    for member_id, stored in rows:
        bind.execute(
            sa.text("UPDATE family_member SET cpr_hash = :hash WHERE id = :id"),
            {"hash": cpr_lookup_hash(decrypt(stored)), "id": member_id},
        )


def downgrade():
    with op.batch_alter_table('study', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_study_once_token'), type_='unique')
        batch_op.drop_column('once_token')
    with op.batch_alter_table('family_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_member_cpr_hash'))
        batch_op.drop_column('cpr_hash')

"""answer values: every submission's answers as typed rows, one per answer, for the
readers of one variable across many submissions (the indicators, the research package)

The rows are filled here from every existing submission, with the field types of each
submission's own form version (app/collection/typed.py), as saving a submission fills them
from now on.

Revision ID: 0021_answer_values
Revises: 0020_plan_goals
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa

from app.tenancy import rls


# revision identifiers, used by Alembic.
revision = '0021_answer_values'
down_revision = '0020_plan_goals'
branch_labels = None
depends_on = None

#: Submissions read (and their rows inserted) per round of the backfill.
BATCH = 2000


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_submission_id_municipality_id'), ['id', 'municipality_id'])

    op.create_table('answer_value',
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('number', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('flag', sa.Boolean(), nullable=True),
    sa.CheckConstraint('(CASE WHEN number IS NULL THEN 0 ELSE 1 END) + (CASE WHEN text IS NULL THEN 0 ELSE 1 END) + (CASE WHEN day IS NULL THEN 0 ELSE 1 END) + (CASE WHEN flag IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_answer_value_one_value')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_answer_value_municipality_id_municipality'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['submission_id', 'municipality_id'], ['submission.id', 'submission.municipality_id'], name=op.f('fk_answer_value_submission_id_municipality_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('municipality_id', 'submission_id', 'name', name=op.f('pk_answer_value'))
    )
    with op.batch_alter_table('answer_value', schema=None) as batch_op:
        batch_op.create_index('ix_answer_value_name_submission_id', ['name', 'submission_id'], unique=False)

    _backfill()
    # Row-level security for the new tenant table (the policies of every existing table
    # are installed again, unchanged).
    rls.install(op.get_bind())


def _backfill():
    # Imported here, not at the top: Alembic loads every migration file, and only this
    # step needs the field types.
    from app.collection.typed import AnswerValue, typed_rows
    from app.definitions.model import FormDef

    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # Row-level security binds the owner too: this step reads every municipality.
        bind.execute(sa.text("SELECT set_config('helhed.cross_tenant', 'on', true)"))
    versions = sa.table('form_version', sa.column('id', sa.Integer()), sa.column('definition', sa.JSON()))
    submissions = sa.table(
        'submission',
        sa.column('id', sa.Integer()),
        sa.column('municipality_id', sa.Integer()),
        sa.column('form_version_id', sa.Integer()),
        sa.column('answers', sa.JSON()),
    )
    forms = {
        version_id: FormDef.from_dict(definition)
        for version_id, definition in bind.execute(sa.select(versions.c.id, versions.c.definition))
    }
    table = AnswerValue.__table__
    after = 0
    while True:
        # Keyset pages: the whole table is never held in memory at once.
        page = bind.execute(
            sa.select(submissions)
            .where(submissions.c.id > after)
            .order_by(submissions.c.id)
            .limit(BATCH)
        ).all()
        if not page:
            break
        rows = [
            row
            for submission in page
            for row in typed_rows(
                submission.id,
                submission.municipality_id,
                forms[submission.form_version_id],
                submission.answers or {},
            )
        ]
        if rows:
            bind.execute(sa.insert(table), rows)
        after = page[-1].id


def downgrade():
    with op.batch_alter_table('answer_value', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_value_name_submission_id')

    op.drop_table('answer_value')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_submission_id_municipality_id'), type_='unique')

"""department references carry the municipality: composite foreign keys

Revision ID: 0009_department_keys
Revises: 0008_privacy
Create Date: 2026-11-23

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_department_keys'
down_revision = '0008_privacy'
branch_labels = None
depends_on = None

#: (table, column) of every row that names a department.
REFERENCES = (
    ('membership', 'department_id'),
    ('assignment', 'department_id'),
    ('plan_goal', 'responsible_department_id'),
)


def upgrade():
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_department_id_municipality_id'), ['id', 'municipality_id']
        )
    for table, column in REFERENCES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f'fk_{table}_{column}_department'), type_='foreignkey'
            )
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_{column}_municipality_id_department'),
                'department',
                [column, 'municipality_id'],
                ['id', 'municipality_id'],
            )


def downgrade():
    for table, column in REFERENCES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f'fk_{table}_{column}_municipality_id_department'), type_='foreignkey'
            )
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_{column}_department'),
                'department',
                [column],
                ['id'],
                ondelete='SET NULL' if table == 'membership' else None,
            )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_department_id_municipality_id'), type_='unique')

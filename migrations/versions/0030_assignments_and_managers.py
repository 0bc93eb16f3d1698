"""Assignments with due dates and recertification, organisation units, reporting lines and
the manager role

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 19:13:07

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_known_role'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_user_roles_known_role'), "role IN ('learner', 'trainer', 'admin', 'reviewer', 'manager')"
        )
    op.create_table('org_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_org_units_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['parent_id'], ['org_units.id'], name=op.f('fk_org_units_parent_id_org_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_units')),
    sa.UniqueConstraint('organisation_id', 'name', name='uq_org_units_organisation_name')
    )
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_units_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('org_unit_members',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_org_unit_members_unit_id_org_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_org_unit_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_org_unit_members'))
    )
    with op.batch_alter_table('org_unit_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_unit_members_unit_id'), ['unit_id'], unique=False)

    op.create_table('reporting_lines',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('share_progress', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['manager_id'], ['users.id'], name=op.f('fk_reporting_lines_manager_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reporting_lines_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_reporting_lines'))
    )
    with op.batch_alter_table('reporting_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporting_lines_manager_id'), ['manager_id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('due_within_days', sa.Integer(), nullable=True),
    sa.Column('recertify_months', sa.Integer(), nullable=True),
    sa.Column('escalate', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("audience IN ('people', 'cohort', 'unit', 'role')", name=op.f('ck_assignments_known_audience')),
    sa.CheckConstraint('due_date IS NULL OR due_within_days IS NULL', name=op.f('ck_assignments_one_due_rule')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_assignments_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assignments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['goal_id'], ['goals.id'], name=op.f('fk_assignments_goal_id_goals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_assignments_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_assignments_package_id_packages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_units.id'], name=op.f('fk_assignments_unit_id_org_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('assigned_work',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_assigned_work_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_assigned_work_learner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assigned_work')),
    sa.UniqueConstraint('assignment_id', 'learner_id', 'cycle', name='uq_assigned_work_cycle')
    )
    with op.batch_alter_table('assigned_work', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assigned_work_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assigned_work_learner_id'), ['learner_id'], unique=False)

    op.create_table('assignment_people',
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_assignment_people_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignment_people_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assignment_id', 'user_id', name=op.f('pk_assignment_people'))
    )
    with op.batch_alter_table('assignment_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_people_user_id'), ['user_id'], unique=False)



def downgrade():
    op.execute("DELETE FROM user_roles WHERE role = 'manager'")
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_known_role'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_user_roles_known_role'), "role IN ('learner', 'trainer', 'admin', 'reviewer')"
        )
    with op.batch_alter_table('assignment_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_people_user_id'))

    op.drop_table('assignment_people')
    with op.batch_alter_table('assigned_work', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assigned_work_learner_id'))
        batch_op.drop_index(batch_op.f('ix_assigned_work_assignment_id'))

    op.drop_table('assigned_work')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_organisation_id'))

    op.drop_table('assignments')
    with op.batch_alter_table('reporting_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reporting_lines_manager_id'))

    op.drop_table('reporting_lines')
    with op.batch_alter_table('org_unit_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_unit_members_unit_id'))

    op.drop_table('org_unit_members')
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_units_organisation_id'))

    op.drop_table('org_units')

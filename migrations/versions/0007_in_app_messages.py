"""In-app messages: the inbox every touchpoint can land in, once per key

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 22:01:52.165035

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('in_app_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('why', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_in_app_messages_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_in_app_messages')),
    sa.UniqueConstraint('user_id', 'key', name='uq_in_app_messages_user_key')
    )
    with op.batch_alter_table('in_app_messages', schema=None) as batch_op:
        batch_op.create_index('ix_in_app_messages_user_unread', ['user_id', 'read_at', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('in_app_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_in_app_messages_user_unread')

    op.drop_table('in_app_messages')

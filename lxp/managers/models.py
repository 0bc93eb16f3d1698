"""Reporting lines: who a person's line manager is."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.extensions import db


class ReportingLine(db.Model):
    """A person's one line manager (of the same organisation). ``share_progress``: the person
    lets their manager hear when assigned work is soon due or overdue."""

    __tablename__ = "reporting_lines"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    share_progress: Mapped[bool] = mapped_column(default=False)

    user = relationship("User", foreign_keys=[user_id])
    manager = relationship("User", foreign_keys=[manager_id])

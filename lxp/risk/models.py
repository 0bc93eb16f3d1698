"""Stored risk models, the flags coaches see, and learners who turned this support off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lxp.core.time import UTCDateTime, utcnow
from lxp.extensions import db

# used: beats the baseline by the margin, its estimates pick whom to flag; not_better: trained
# but no better than "days since last activity"; not_enough_history: the rules alone apply.
MODEL_STATUSES = ("used", "not_better", "not_enough_history")
ACTIONS = ("message", "offer_session", "simplify_plan")


class RiskModel(db.Model):
    """One weekly training run of an organisation's model, with its held-out evaluation.

    The model is plain numbers (``lxp.risk.model.Fitted.to_json``), never a pickle."""

    __tablename__ = "risk_models"
    __table_args__ = (
        CheckConstraint(f"status IN {MODEL_STATUSES!r}", name="known_status"),
        Index("ix_risk_models_organisation_trained", "organisation_id", "trained_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(String(300), default="")  # what was missing, in a sentence
    model: Mapped[dict | None] = mapped_column(JSON)
    baseline: Mapped[dict | None] = mapped_column(JSON)
    evaluation: Mapped[dict | None] = mapped_column(JSON)  # AUC, Brier, reliability of both, rows, period


class RiskFlag(db.Model):
    """A learner flagged as likely to go quiet, the reasons in codes, and what a coach did.

    ``held_out``: the organisation allows a holdout and this flag was drawn into it; coaches do
    not see it, so comparing who came back shows what acting on flags changes."""

    __tablename__ = "risk_flags"
    __table_args__ = (Index("ix_risk_flags_learner_raised", "learner_id", "raised_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(8))  # model or rules
    reasons: Mapped[list] = mapped_column(JSON, default=list)  # [{"code": ..., "values": {...}}]
    suggested: Mapped[str] = mapped_column(String(16))  # one of ACTIONS
    held_out: Mapped[bool] = mapped_column(default=False)
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str | None] = mapped_column(String(16))
    came_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first learning after the flag
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # came back, or 14 days passed
    # What the coach offered: a live session of the learner's course, or a lighter weekly plan.
    offered_session_id: Mapped[int | None] = mapped_column(ForeignKey("live_sessions.id", ondelete="SET NULL"))
    minutes_before: Mapped[int | None] = mapped_column()
    minutes_after: Mapped[int | None] = mapped_column()

    learner = relationship("User", foreign_keys=[learner_id])


class RiskSettings(db.Model):
    """An organisation's choices: the margin over the baseline, and whether flags may be held out."""

    __tablename__ = "risk_settings"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    holdout_share: Mapped[float] = mapped_column(default=0.0)  # 0 = every flag reaches a coach
    # Draws who is held out (``lxp.risk.holdout.draw``): kept, so a run can be re-derived.
    holdout_seed: Mapped[str | None] = mapped_column(String(32))


class RiskOptOut(db.Model):
    """A learner who turned predictive support off: no features are computed for them."""

    __tablename__ = "risk_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

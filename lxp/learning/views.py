"""Start pages. Until goals, paths and touchpoints land they show honest empty states."""

from __future__ import annotations

from flask import Blueprint, render_template

from lxp.core.auth import roles_required

bp = Blueprint("learning", __name__)


@bp.get("/today")
@roles_required("learner")
def today():
    """Everything due today across the four modalities."""
    return render_template("learning/today.html")


@bp.get("/path")
@roles_required("learner")
def path():
    """The learner's journey as stations, each with its reason."""
    return render_template("learning/path.html")


@bp.get("/inbox")
@roles_required("learner")
def inbox():
    """In-app messages: reminders, replies, celebrations."""
    return render_template("learning/inbox.html")


@bp.get("/desk")
@roles_required("trainer")
def trainer_desk():
    """The trainer's start page: sessions, reviews, coaching."""
    return render_template("learning/trainer_desk.html")

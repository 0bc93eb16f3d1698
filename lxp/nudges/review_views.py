"""The learner's spaced-review question: answer it, see whether it was right and why."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from lxp.core import unit_of_work
from lxp.core.auth import roles_required
from lxp.core.errors import Invalid, NotFound
from lxp.core.forms import ConfirmForm
from lxp.nudges import review

bp = Blueprint("review", __name__)


@bp.route("/review/<int:card_id>", methods=["GET", "POST"])
@roles_required("learner")
def recall(card_id: int):
    """One recall question; on answering, the card is rescheduled and the feedback shown."""
    form, error = ConfirmForm(), None
    try:
        recall = review.open_recall(current_user, card_id)
        if request.method == "POST" and form.validate_on_submit():
            chosen = [int(n) for n in request.form.getlist("chosen") if n.isdigit()]
            recall = review.answer_recall(current_user, card_id, chosen)
    except NotFound:
        abort(404)
    except Invalid as refused:
        unit_of_work.refused()
        error = refused.message
    status = 400 if error or (request.method == "POST" and form.errors) else 200
    return render_template("nudges/review.html", recall=recall, form=form, error=error), status

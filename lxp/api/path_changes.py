"""Changing your path over the API, as the path page offers it: do a step another way (swap it
for one of its alternatives) and go back, or move an optional step earlier or later, each with
a preview of what it changes to the finish date first. The same services as the pages
(``lxp/paths/services.py``); a preview changes nothing."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lxp.api.common import area, not_found
from lxp.api.learning import PathSchema, path_document
from lxp.learning import placement
from lxp.paths import services as paths

bp = area("path_changes", "Changing your path: swaps and moves, each with a preview", "learner")

REF = ma.validate.Length(1, 64)


class PathItemSchema(ma.Schema):
    ref = ma.fields.String()
    title = ma.fields.String()
    kind = ma.fields.String()
    modality = ma.fields.String()
    minutes = ma.fields.Integer()


class StepOptionsSchema(ma.Schema):
    ref = ma.fields.String()
    title = ma.fields.String()
    alternatives = ma.fields.List(ma.fields.Nested(PathItemSchema), metadata={"description": "other ways to do it"})
    instead_of = ma.fields.Nested(PathItemSchema, allow_none=True,
                                  metadata={"description": "the step this one stands in for, after a swap"})  # fmt: skip
    move_earlier_before = ma.fields.String(allow_none=True, metadata={"description": "before value to move it up"})
    move_later_before = ma.fields.String(allow_none=True, metadata={"description": "before value to move it down"})


class OptionsSchema(ma.Schema):
    steps = ma.fields.List(ma.fields.Nested(StepOptionsSchema))


class PathOutcomeSchema(ma.Schema):
    finish = ma.fields.Date()
    reachable = ma.fields.Boolean()
    position = ma.fields.Integer(allow_none=True, metadata={"description": "1-based among the open steps"})


class SwapPreviewSchema(ma.Schema):
    step = ma.fields.Nested(PathItemSchema, metadata={"description": "done now"})
    alternative = ma.fields.Nested(PathItemSchema, metadata={"description": "done after the change"})
    now = ma.fields.Nested(PathOutcomeSchema)
    then = ma.fields.Nested(PathOutcomeSchema)


class MovePreviewSchema(ma.Schema):
    step = ma.fields.Nested(PathItemSchema)
    open_steps = ma.fields.Integer()
    now = ma.fields.Nested(PathOutcomeSchema)
    then = ma.fields.Nested(PathOutcomeSchema)


class SwapArgs(ma.Schema):
    step = ma.fields.String(required=True, validate=REF, metadata={"description": "the step's ref"})
    alternative = ma.fields.String(required=True, validate=REF, metadata={"description": "one of its alternatives"})


class UndoSwapArgs(ma.Schema):
    step = ma.fields.String(required=True, validate=REF, metadata={"description": "the step swapped earlier"})


class MoveArgs(ma.Schema):
    step = ma.fields.String(required=True, validate=REF, metadata={"description": "an open optional step"})
    before = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=64),
                              metadata={"description": "the step to put it just before; null or empty: last"})  # fmt: skip


class PlacementQuestionSchema(ma.Schema):
    name = ma.fields.String(metadata={"description": "the key of its answer"})
    competency = ma.fields.String()
    competency_name = ma.fields.String()
    prompt = ma.fields.String()
    multiple = ma.fields.Boolean(metadata={"description": "true: choose every right option"})
    options = ma.fields.List(ma.fields.String())


class PlacementSchema(ma.Schema):
    taken = ma.fields.Boolean(metadata={"description": "true: taken for this path already; no questions then"})
    questions = ma.fields.List(ma.fields.Nested(PlacementQuestionSchema))


class PlacementAnswersSchema(ma.Schema):
    id = ma.fields.UUID(required=True, metadata={"description": "made by the client"})
    answers = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(1, 200)),
        values=ma.fields.List(ma.fields.Integer(strict=True), validate=ma.validate.Length(max=20)),
        required=True,
        validate=ma.validate.Length(max=200),
        metadata={"description": "question name -> the chosen options (0-based)"},
    )


class PlacementResultSchema(ma.Schema):
    shown = ma.fields.List(ma.fields.String(), metadata={"description": "competencies you showed"})
    skipped_steps = ma.fields.Integer(metadata={"description": "steps your path no longer needs"})


def _journey():
    journey = paths.open_journey(current_user)
    if journey is None:
        not_found(_l("You have no path yet; choose a goal first."))
    return journey


def _item(item) -> dict:
    return {k: getattr(item, k) for k in ("ref", "title", "kind", "modality", "minutes")}


def _outcome(plan, ref: str | None = None) -> dict:
    refs = [s.ref for s in plan.open_steps]
    return {"finish": plan.feasibility.finish, "reachable": plan.feasibility.reachable,
            "position": refs.index(ref) + 1 if ref in refs else None}  # fmt: skip


@bp.get("/path/options")
@bp.response(200, OptionsSchema)
def options():
    """For each open step of your path, the other ways to do it, the step it stands in for
    (to go back), and where it can move (optional steps only; a move is checked on preview)."""
    journey = _journey()
    plan = paths.current_plan(journey)
    alternatives, swapped, moves = (
        paths.alternatives_of(journey),
        paths.swapped_steps(journey),
        paths.move_targets(plan),
    )
    return {"steps": [{
        "ref": s.ref, "title": s.title, "alternatives": [_item(a) for a in alternatives.get(s.ref, ())],
        "instead_of": _item(swapped[s.ref]) if s.ref in swapped else None,
        "move_earlier_before": moves.get(s.ref, {}).get("earlier"), "move_later_before": moves.get(s.ref, {}).get("later"),
    } for s in plan.open_steps]}  # fmt: skip


@bp.get("/path/swap-preview")
@bp.arguments(SwapArgs, location="query")
@bp.response(200, SwapPreviewSchema)
def preview_swap(args):
    """What doing ``alternative`` instead of ``step`` would change to your finish date. 400
    when it is not another way to do that step."""
    preview = paths.preview_swap(_journey(), args["step"], args["alternative"])
    return {"step": _item(preview.step), "alternative": _item(preview.alternative),
            "now": _outcome(preview.now, preview.step.ref), "then": _outcome(preview.then, preview.alternative.ref)}  # fmt: skip


@bp.post("/path/swaps")
@bp.arguments(SwapArgs)
@bp.response(200, PathSchema)
def swap(args):
    """Do ``alternative`` instead of ``step`` from now on; answers your path planned again."""
    journey = _journey()
    paths.swap_step(current_user, journey, args["step"], args["alternative"])
    return path_document(journey)


@bp.get("/path/swap-undo-preview")
@bp.arguments(UndoSwapArgs, location="query")
@bp.response(200, SwapPreviewSchema)
def preview_undo_swap(args):
    """What going back to ``step`` (swapped earlier) would change; ``step`` in the answer is the
    alternative done now. 400 when ``step`` was not swapped."""
    preview = paths.preview_undo_swap(_journey(), args["step"])
    return {"step": _item(preview.step), "alternative": _item(preview.alternative),
            "now": _outcome(preview.now, preview.step.ref), "then": _outcome(preview.then, preview.alternative.ref)}  # fmt: skip


@bp.post("/path/swaps/undo")
@bp.arguments(UndoSwapArgs)
@bp.response(200, PathSchema)
def undo_swap(args):
    """Do ``step`` again instead of the alternative chosen for it; answers your path."""
    journey = _journey()
    paths.undo_swap(current_user, journey, args["step"])
    return path_document(journey)


@bp.get("/path/move-preview")
@bp.arguments(MoveArgs, location="query")
@bp.response(200, MovePreviewSchema)
def preview_move(args):
    """Where an optional step would land and your finish date after moving it just before
    ``before`` (last without it). 400 for a step that is not open and optional, or a place
    before a step it needs or after one that needs it."""
    preview = paths.preview_move(_journey(), args["step"], args["before"] or None)
    return {"step": _item(preview.step), "open_steps": len(preview.now.open_steps),
            "now": _outcome(preview.now, preview.step.ref), "then": _outcome(preview.then, preview.step.ref)}  # fmt: skip


@bp.post("/path/moves")
@bp.arguments(MoveArgs)
@bp.response(200, PathSchema)
def move(args):
    """Move an optional step from now on (the same checks as the preview); answers your path."""
    journey = _journey()
    paths.move_step(current_user, journey, args["step"], args["before"] or None)
    return path_document(journey)


@bp.get("/path/placement")
@bp.response(200, PlacementSchema)
def get_placement():
    """The optional placement check of your path: up to two questions per competency your
    goals need and you have not shown yet. 404 before you chose a goal."""
    _journey()
    if placement.taken(current_user):
        return {"taken": True, "questions": []}
    names = paths.competency_names(current_user.organisation_id, str(get_locale()))
    return {"taken": False, "questions": [
        {"name": q.name, "competency": q.competency, "competency_name": names.get(q.competency, q.competency),
         "prompt": q.prompt, "multiple": q.multiple, "options": list(q.options)}
        for q in placement.questions(current_user)]}  # fmt: skip


@bp.post("/path/placement")
@bp.arguments(PlacementAnswersSchema)
@bp.response(201, PlacementResultSchema)
def take_placement(args):
    """Answer the placement check once per path: what you showed is skipped on your path. 400
    for a missing answer or one not among the options (naming the question), 409 when taken
    already (a replay too), 404 before you chose a goal."""
    result = placement.submit(current_user, args["answers"], str(args["id"]))
    return {"shown": list(result.shown), "skipped_steps": result.skipped_steps}

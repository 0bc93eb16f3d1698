"""Items of the learner's path (block content), progress events, pulse and NPS answers.

Progress, pulse and NPS carry a client-made UUID: sending the same one again (a phone
replaying its offline queue) gives the same answer and changes nothing.
"""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from lxp.api.common import area
from lxp.learning import progress
from lxp.learning import services as learning

bp = area("blocks", "Block content, progress events (idempotent on a client UUID), pulse and NPS", "learner")


class QuestionSchema(ma.Schema):
    key = ma.fields.String()
    prompt = ma.fields.String()
    multiple = ma.fields.Boolean()
    options = ma.fields.List(ma.fields.String(), metadata={"description": "option texts; answer by index"})


class ItemSchema(ma.Schema):
    ref = ma.fields.String()
    kind = ma.fields.String()
    title = ma.fields.String()
    minutes = ma.fields.Integer()
    language = ma.fields.String()
    content = ma.fields.Dict(metadata={"description": "the block's content for its kind; a quiz's without its answers"})
    questions = ma.fields.List(ma.fields.Nested(QuestionSchema), allow_none=True)
    saved_answers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.Integer()),
                                   allow_none=True)  # fmt: skip


class ProgressSchema(ma.Schema):
    id = ma.fields.UUID(required=True, metadata={"description": "made by the client; a replay sends the same"})
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(progress.PROGRESS_TYPES))
    item = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    occurred_at = ma.fields.AwareDateTime(load_default=None)
    seconds = ma.fields.Integer(strict=True, load_default=None, validate=ma.validate.Range(0, 86400))
    reflection = ma.fields.String(load_default=None, validate=ma.validate.Length(max=10_000))
    response = ma.fields.Raw(load_default=None, metadata={
        "description": "for ``completed``: the learner's response as the item's kind takes it (a text, the points "
                       "ticked as ``{\"ticked\": [point numbers], \"done\": false}``); a reflection may send "
                       "``reflection``; a response the kind refuses answers 422"})  # fmt: skip
    answers = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(1, 36)),
                             values=ma.fields.List(ma.fields.Integer(strict=True), validate=ma.validate.Length(max=8)),
                             load_default=None, validate=ma.validate.Length(max=50))  # fmt: skip
    question = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 36))
    chosen = ma.fields.List(ma.fields.Integer(strict=True), load_default=None, validate=ma.validate.Length(max=8))


class QuizFeedbackSchema(ma.Schema):
    key = ma.fields.String()
    correct = ma.fields.Boolean()
    chosen = ma.fields.List(ma.fields.Integer())


class QuizResultSchema(ma.Schema):
    score = ma.fields.Integer()
    passed = ma.fields.Boolean()
    attempts = ma.fields.Integer()
    attempts_left = ma.fields.Integer(allow_none=True)
    questions = ma.fields.List(ma.fields.Nested(QuizFeedbackSchema))


class ProgressResultSchema(ma.Schema):
    id = ma.fields.UUID()
    type = ma.fields.String()
    item = ma.fields.String()
    replayed = ma.fields.Boolean(metadata={"description": "true when this id was recorded before"})
    quiz = ma.fields.Nested(QuizResultSchema, allow_none=True)


class PulseSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    item = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    mood = ma.fields.Integer(strict=True, required=True, validate=ma.validate.Range(1, 5))
    effort = ma.fields.Integer(strict=True, load_default=None, validate=ma.validate.Range(1, 5))
    useful = ma.fields.Boolean(load_default=None)
    comment = ma.fields.String(load_default="", validate=ma.validate.Length(max=1000))


class NpsDueSchema(ma.Schema):
    milestone = ma.fields.String(allow_none=True, metadata={"description": "halfway, end, or null when none is due"})


class NpsSchema(ma.Schema):
    id = ma.fields.UUID(required=True)
    milestone = ma.fields.String(required=True, validate=ma.validate.OneOf(learning.MILESTONES))
    score = ma.fields.Integer(strict=True, required=True, validate=ma.validate.Range(0, 10))
    comment = ma.fields.String(load_default="", validate=ma.validate.Length(max=1000))


class AcceptedSchema(ma.Schema):
    id = ma.fields.UUID()


@bp.get("/items/<string:ref>")
@bp.response(200, ItemSchema)
def get_item(ref: str):
    """One step of your path with its content; a quiz's questions without their answers, and
    the answers you saved so far. 404 when the step is not on your path."""
    block = learning.open_block(current_user, ref)
    item = block.item
    body = {"ref": ref, "kind": item.kind, "title": item.title, "minutes": item.minutes, "language": item.language,
            "content": block.kind.learner_content(item.content), "questions": None, "saved_answers": None}  # fmt: skip
    if block.kind.marked:
        body["questions"] = [{"key": q["key"], "prompt": q["prompt"], "multiple": q.get("multiple", False),
                              "options": [o["text"] for o in q["options"]]} for q in item.content["questions"]]  # fmt: skip
        body["saved_answers"] = learning.saved_answers(current_user.id, ref)
    return body


@bp.post("/progress")
@bp.arguments(ProgressSchema)
@bp.response(201, ProgressResultSchema)
@bp.alt_response(200, schema=ProgressResultSchema, description="A replay: this id was recorded before")
def post_progress(event):
    """Record progress with your own UUID: ``completed`` (a block you tick off, with
    ``response`` where its kind takes one, or a reflection's ``reflection``),
    ``quiz_attempt`` (``answers``: question key to chosen option indexes) or ``answer_saved``
    (``question``, ``chosen``). Sending the same id again gives the same answer and counts once."""
    outcome = progress.progress_event(current_user, event_id=event["id"], type=event["type"], item=event["item"],
                                      occurred_at=event["occurred_at"], seconds=event["seconds"],
                                      reflection=event["reflection"], response=event["response"],
                                      answers=event["answers"],
                                      question=event["question"], chosen=event["chosen"])  # fmt: skip
    body = {"id": outcome.event_id, "type": outcome.type, "item": outcome.item, "replayed": not outcome.new,
            "quiz": None}  # fmt: skip
    if outcome.quiz is not None:
        q = outcome.quiz
        body["quiz"] = {"score": q.score, "passed": q.passed, "attempts": q.attempts, "attempts_left": q.attempts_left,
                        "questions": [{"key": f.key, "correct": f.correct, "chosen": list(f.chosen)} for f in q.questions]}  # fmt: skip
    return body, 201 if outcome.new else 200


@bp.post("/pulse")
@bp.arguments(PulseSchema)
@bp.response(201, AcceptedSchema)
def post_pulse(pulse):
    """Say how a block felt: mood 1–5, effort 1–5, useful, a comment. Idempotent on ``id``."""
    learning.give_pulse(current_user, pulse["item"], pulse["mood"], pulse["effort"], pulse["useful"],
                        pulse["comment"], str(pulse["id"]))  # fmt: skip
    return {"id": pulse["id"]}


@bp.get("/nps")
@bp.response(200, NpsDueSchema)
def nps_due():
    """Whether the recommend question is due (at halfway and at the end of your path)."""
    return {"milestone": learning.milestone_due(current_user)}


@bp.post("/nps")
@bp.arguments(NpsSchema)
@bp.response(201, AcceptedSchema)
def post_nps(answer):
    """How likely you are to recommend the programme (0–10) at a milestone. Idempotent on ``id``."""
    learning.recommend(current_user, answer["milestone"], answer["score"], answer["comment"], str(answer["id"]))
    return {"id": answer["id"]}

"""On-the-job tasks for learners: the tries at a task, saving a draft with photos and files,
sending evidence (idempotent on a client UUID) and taking it back."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest.fields import Upload

from lxp.api.common import area
from lxp.files import services as files
from lxp.workplace import services as workplace

bp = area("tasks", "On-the-job task submissions", "learner")


class ReviewSchema(ma.Schema):
    outcome = ma.fields.String(metadata={"description": "accepted or needs_another_try"})
    ratings = ma.fields.List(ma.fields.Dict())
    comment = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


class SubmissionSchema(ma.Schema):
    id = ma.fields.Integer()
    item_ref = ma.fields.String()
    item_title = ma.fields.String()
    learner_id = ma.fields.Integer()
    number = ma.fields.Integer(metadata={"description": "1 for the first try"})
    status = ma.fields.String(metadata={"description": "draft, submitted, needs_another_try or accepted"})
    account = ma.fields.String(metadata={"description": "the written account, Markdown"})
    links = ma.fields.List(ma.fields.String())
    rubric = ma.fields.List(ma.fields.Dict())
    created_at = ma.fields.AwareDateTime()
    submitted_at = ma.fields.AwareDateTime(allow_none=True)
    review = ma.fields.Nested(ReviewSchema, allow_none=True)


class StoredFileSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String(attribute="original_name")
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    submission_id = ma.fields.Integer(attribute="attached_id")


class TaskSchema(ma.Schema):
    ref = ma.fields.String()
    asks_for = ma.fields.List(ma.fields.String(), metadata={"description": "text, photo, file, link"})
    accepted = ma.fields.Boolean()
    tries = ma.fields.List(ma.fields.Nested(SubmissionSchema), metadata={"description": "oldest first"})
    files = ma.fields.List(
        ma.fields.Nested(StoredFileSchema), metadata={"description": "photos and files of every try"}
    )


class UploadSchema(ma.Schema):
    file = Upload(
        required=True, metadata={"description": "a photo (JPEG, PNG, WebP, HEIC), a PDF, an office document or text"}
    )


class EvidenceSchema(ma.Schema):
    account = ma.fields.String(load_default="", validate=ma.validate.Length(max=20_000))
    links = ma.fields.List(ma.fields.String(validate=ma.validate.Length(1, 500)), load_default=list,
                           validate=ma.validate.Length(max=20))  # fmt: skip


class SubmitSchema(EvidenceSchema):
    id = ma.fields.UUID(required=True, metadata={"description": "made by the client; a replay sends the same"})


def _task(ref: str) -> dict:
    view = workplace.task_view(current_user, workplace.task_block(current_user, ref))
    return {"ref": ref, "asks_for": list(view.asks_for), "accepted": view.accepted, "tries": view.tries,
            "files": [f for try_ in view.tries for f in view.files.get(try_.id, [])]}  # fmt: skip


@bp.get("/tasks/<string:ref>")
@bp.response(200, TaskSchema)
def get_task(ref: str):
    """A task on your path: what evidence it asks for, and your tries with their reviews."""
    return _task(ref)


@bp.put("/tasks/<string:ref>/draft")
@bp.arguments(EvidenceSchema)
@bp.response(200, SubmissionSchema)
def save_draft(evidence, ref: str):
    """Keep your written account and links as a draft (not sent to your coach yet)."""
    return workplace.save_evidence(current_user, ref, evidence["account"], "\n".join(evidence["links"]), [],
                                   submit=False)  # fmt: skip


@bp.post("/tasks/<string:ref>/submission")
@bp.arguments(SubmitSchema)
@bp.response(201, SubmissionSchema)
def submit(evidence, ref: str):
    """Send your evidence to your coach for review; the same ``id`` sent again is one submission."""
    return workplace.save_evidence(current_user, ref, evidence["account"], "\n".join(evidence["links"]), [],
                                   submit=True, event_id=str(evidence["id"]))  # fmt: skip


@bp.delete("/tasks/<string:ref>/submission")
@bp.response(200, SubmissionSchema)
def withdraw(ref: str):
    """Take back evidence your coach has not reviewed yet; it becomes your draft again."""
    return workplace.withdraw(current_user, ref)


@bp.post("/tasks/<string:ref>/files")
@bp.arguments(UploadSchema, location="files")
@bp.response(201, TaskSchema)
def add_file(upload, ref: str):
    """Add a photo or file to your draft (multipart, field ``file``); checked by its content."""
    checked = files.check_upload(workplace.EVIDENCE, upload["file"].filename, upload["file"].stream)
    view = workplace.task_view(current_user, workplace.task_block(current_user, ref))
    draft = view.current if view.current is not None and view.current.status == "draft" else view.start_from
    account, links = (draft.account, "\n".join(draft.links)) if draft is not None else ("", "")
    workplace.save_evidence(current_user, ref, account, links, [checked], submit=False)
    return _task(ref)


@bp.delete("/tasks/<string:ref>/files/<int(max=2147483647):file_id>")
@bp.response(200, TaskSchema)
def remove_file(ref: str, file_id: int):
    """Take a photo or file out of your draft."""
    workplace.remove_file(current_user, ref, file_id)
    return _task(ref)

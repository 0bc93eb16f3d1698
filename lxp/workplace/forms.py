"""Forms for evidence (multipart, with photos from the phone's camera) and for reviews."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, MultipleFileField, RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lxp.core.forms import Form
from lxp.workplace.services import ACCOUNT_LIMIT, COMMENT_LIMIT, LINK_LENGTH, LINK_LIMIT


class EvidenceForm(Form):
    event_id = HiddenField()  # makes a submission posted twice one submission
    account = TextAreaField(_l("What you did and how it went"), validators=[Optional(), Length(max=ACCOUNT_LIMIT)],
                            render_kw={"rows": 8})  # fmt: skip
    photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/*", "capture": "environment"})
    files = MultipleFileField(_l("Files"))
    links = TextAreaField(_l("Links, one per line"), validators=[Optional(), Length(max=LINK_LIMIT * (LINK_LENGTH + 1))],
                          render_kw={"rows": 3, "inputmode": "url"})  # fmt: skip
    save = SubmitField(_l("Save draft"))
    send = SubmitField(_l("Send to my coach"))


RATING_CHOICES = (
    (1, _l("Not yet")),
    (2, _l("Getting there")),
    (3, _l("Can do it")),
    (4, _l("Does it well")),
)


class ReviewForm(Form):
    event_id = HiddenField()  # makes a review posted twice one review
    outcome = RadioField(_l("Your verdict"), validators=[DataRequired(_l("Choose accepted or another try."))], choices=[
        SelectChoice("accepted", _l("Accepted")), SelectChoice("needs_another_try", _l("Needs another try"))])  # fmt: skip
    comment = TextAreaField(_l("Comment for the learner"), validators=[Optional(), Length(max=COMMENT_LIMIT)],
                            render_kw={"rows": 6})  # fmt: skip


def review_form(rubric: list[dict], **kwargs) -> ReviewForm:
    """A review form with one rating per rubric criterion (fields ``rating_0``, ``rating_1``…)."""

    class _RubricReview(ReviewForm):
        pass

    for n, criterion in enumerate(rubric):
        setattr(_RubricReview, f"rating_{n}", RadioField(
            criterion["criterion"], coerce=int, choices=[SelectChoice(v, label) for v, label in RATING_CHOICES],
            validators=[DataRequired(_l("Rate this criterion."))],
        ))  # fmt: skip
    return _RubricReview(**kwargs)


def ratings_of(form: ReviewForm, rubric: list[dict]) -> list[int | None]:
    return [getattr(form, f"rating_{n}").data for n in range(len(rubric))]

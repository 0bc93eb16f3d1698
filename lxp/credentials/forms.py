"""The admin's revocation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lxp.credentials.services import MAX_REASON


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Why is it revoked?"), validators=[DataRequired(), Length(max=MAX_REASON)],
                           description=_l("Kept for your organisation; the public page says only that it is revoked."))  # fmt: skip

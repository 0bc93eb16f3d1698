"""The admin's revocation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lxp.core.forms import Form
from lxp.credentials.services import MAX_REASON


class RevokeForm(Form):
    reason = TextAreaField(_l("Why is it revoked?"), validators=[DataRequired(), Length(max=MAX_REASON)],
                           description=_l("Kept for your organisation; the public page says only that it is revoked."))  # fmt: skip


class CheckForm(Form):
    """Paste a credential or choose its picture; the service says which is missing."""

    token = TextAreaField(_l("The credential's text (VC-JWT)"),
                          description=_l("The .jwt file's content, or the .json download: it starts with \u201ceyJ\u201d or \u201c{\u201d."))  # fmt: skip
    picture = FileField(_l("Or its picture (PNG) or certificate (PDF)"))

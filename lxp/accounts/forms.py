"""Account forms. Validation of rules lives in the services; forms check shape."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from lxp.core.forms import CheckboxListField, Form, TimeZoneField
from lxp.core.i18n import LANGUAGE_NAMES, ROLE_LABELS


def role_choices():
    return list(ROLE_LABELS.items())


def locale_choices(with_browser_default: bool = True):
    first = [("", _l("Same as my browser"))] if with_browser_default else []
    return first + list(LANGUAGE_NAMES.items())


class LoginForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired()], render_kw={"autocomplete": "username"})
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


class EmailOnlyForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired()], render_kw={"autocomplete": "email"})


class NewPasswordForm(Form):
    password = PasswordField(
        _l("New password"), validators=[DataRequired()], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    # The person's active API tokens (set by the view); those not ticked are revoked.
    keep_tokens = CheckboxListField(_l("Keep these access tokens working"), choices=[], validate_choice=True)


class ProfileForm(Form):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Language"), choices=locale_choices)
    timezone = TimeZoneField(_l("Time zone"))


class InviteForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    roles = CheckboxListField(_l("Roles"), choices=role_choices, default=["learner"])
    locale = SelectField(_l("Language"), choices=lambda: locale_choices())
    timezone = TimeZoneField(_l("Time zone"), default="UTC")


class CsvImportForm(Form):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose a CSV file.")), FileAllowed(["csv", "txt"], _l("Upload a .csv file."))],
    )


class RolesForm(Form):
    roles = CheckboxListField(_l("Roles"), choices=role_choices)


_CODE_INPUT = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "maxlength": "20"}


class CodeForm(Form):
    """A one-time code from the authenticator app (or, at sign-in, a recovery code)."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)], render_kw=_CODE_INPUT)


class TurnOffTwoStepForm(Form):
    password = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)], render_kw=_CODE_INPUT)


class TwoStepPolicyForm(Form):
    for_admins = BooleanField(_l("Require two-step sign-in of admins"))
    for_trainers = BooleanField(_l("Require two-step sign-in of trainers"))

"""Company sign-in's forms: the e-mail that routes a sign-in, and the admin's settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from lxp.core.forms import Form


class CompanyEmailForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired()], render_kw={"autocomplete": "username"})


class SettingsForm(Form):
    enabled = BooleanField(_l("Company sign-in is on"))
    protocol = RadioField(_l("Your provider speaks"), default="oidc",
                          choices=[SelectChoice("oidc", _l("OpenID Connect")), SelectChoice("saml", _l("SAML 2.0"))])  # fmt: skip
    issuer = StringField(_l("Issuer"), validators=[Length(max=500)],
                         description=_l("The provider's address, e.g. https://login.microsoftonline.com/<tenant id>/v2.0 or https://keycloak.example.com/realms/staff."))  # fmt: skip
    client_id = StringField(_l("Client id"), validators=[Length(max=255)])
    client_secret = PasswordField(_l("Client secret"), render_kw={"autocomplete": "off"})
    email_claim = StringField(_l("Claim with the e-mail address"), default="email", validators=[Length(max=100)])
    allowed_domains = TextAreaField(_l("E-mail domains"), render_kw={"rows": 2},
                                    description=_l("People with an address at these domains sign in through the provider, e.g. example.com, example.de."))  # fmt: skip
    groups_claim = StringField(_l("Claim with the groups"), default="groups", validators=[Length(max=100)])
    department_claim = StringField(_l("Claim with the department (optional)"), validators=[Length(max=100)],
                                   description=_l("Its value puts the person in the organisation unit of that name (made when new) at every sign-in, so what the unit is assigned reaches them."))  # fmt: skip
    role_mapping = TextAreaField(_l("Groups that give a role"), render_kw={"rows": 3},
                                 description=_l("One per line: group = role (learner, trainer, admin or reviewer)."))  # fmt: skip
    cohort_mapping = TextAreaField(_l("Groups that put people in a cohort"), render_kw={"rows": 3},
                                   description=_l("One per line: group = cohort name."))  # fmt: skip
    sso_only = BooleanField(_l("Only company sign-in: no passwords for the organisation's people"))
    break_glass_user_id = SelectField(_l("Break-glass admin"), coerce=int,
                                      description=_l("Can still sign in with a password, for the day the provider is down."))  # fmt: skip
    saml_metadata = TextAreaField(_l("The provider's SAML metadata (XML)"), render_kw={"rows": 4},
                                  description=_l("Paste it, or give the address it is published at below; leave both empty to keep what is saved."))  # fmt: skip
    saml_metadata_url = StringField(_l("Address of the provider's SAML metadata"), validators=[Length(max=500)])
    saml_email_attribute = StringField(
        _l("Attribute with the e-mail address"), default="email", validators=[Length(max=200)]
    )
    saml_name_attribute = StringField(_l("Attribute with the name"), default="name", validators=[Length(max=200)])
    saml_groups_attribute = StringField(_l("Attribute with the groups"), default="groups", validators=[Length(max=200)])
    saml_locale_attribute = StringField(
        _l("Attribute with the language"), default="locale", validators=[Length(max=200)]
    )
    saml_department_attribute = StringField(_l("Attribute with the department (optional)"),
                                            validators=[Length(max=200)],
                                            description=_l("Its value puts the person in the organisation unit of that name (made when new) at every sign-in, so what the unit is assigned reaches them."))  # fmt: skip

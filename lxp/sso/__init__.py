"""Company sign-in: an organisation's own identity provider (OpenID Connect) signs its people in."""

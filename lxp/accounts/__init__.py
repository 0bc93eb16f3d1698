"""Users, roles, sign-in, invitations, password reset and the profile."""

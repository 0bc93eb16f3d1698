"""Verifiable credentials: Open Badges 3.0 credentials an organisation signs for its learners.

``models`` (signing keys, issued credentials), ``document`` (the pure credential and status
list documents), ``keys`` (Ed25519 keys per organisation, JWS signing), ``services`` (issue,
revoke, verify), ``picture`` (the PNG with the learner's name), ``views`` (the learner's
pages, the admin's list, the public verification page and issuer documents) and ``jobs``
(the scheduler's sweep that issues what learners have earned). See docs/credentials.md.
"""

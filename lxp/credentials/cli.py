"""``flask lxp credentials rotate-key --org SLUG``: a new signing key for an organisation."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lxp.core.crypto import EncryptionUnavailable
from lxp.core.errors import NotFound
from lxp.credentials import services

credentials_cli = AppGroup("credentials", help="Credentials: the organisations' signing keys.")


@credentials_cli.command("rotate-key")
@click.option("--org", "slug", required=True, help="The organisation's slug (as in its issuer address).")
def rotate_key(slug: str) -> None:
    """Make a new Ed25519 key the organisation's signing key. The old keys stay in its JWK set
    (/issuers/SLUG/jwks.json), so credentials they signed keep verifying."""
    try:
        key = services.rotate_key(slug)
    except NotFound:
        raise click.ClickException(f"no organisation with the slug {slug!r}") from None
    except EncryptionUnavailable as error:
        raise click.ClickException(f"cannot store a new key: {error}") from None
    click.echo(f"{slug}: signing with the new key {key.kid}; older keys stay published for verification")

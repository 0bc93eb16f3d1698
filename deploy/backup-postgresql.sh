#!/bin/sh
# Back up lxp on PostgreSQL: the database with pg_dump's custom format (consistent while lxp
# runs: one snapshot), then the upload folder as a tar. Two files per run in DIRECTORY:
#   lxp-<UTC time>.dump  and  lxp-uploads-<UTC time>.tar.gz
# Reads the settings lxp reads: LXP_DATABASE_URL, and LXP_UPLOAD_DIR (else
# LXP_INSTANCE_PATH/uploads). Both files hold personal data and password hashes: mode 0600.
# Usage: set -a; . /etc/lxp.env; set +a; deploy/backup-postgresql.sh /var/backups/lxp
set -eu
directory=${1:?usage: backup-postgresql.sh DIRECTORY}
: "${LXP_DATABASE_URL:?LXP_DATABASE_URL is not set}"
uploads=${LXP_UPLOAD_DIR:-${LXP_INSTANCE_PATH:?set LXP_UPLOAD_DIR or LXP_INSTANCE_PATH}/uploads}
# libpq does not know SQLAlchemy's driver suffix
url=$(printf '%s' "$LXP_DATABASE_URL" | sed 's|^postgresql+[a-z0-9]*://|postgresql://|')
stamp=$(date -u +%Y%m%dT%H%M%SZ)
umask 077
mkdir -p "$directory"
pg_dump --format=custom --no-owner --no-privileges --file="$directory/lxp-$stamp.dump.partial" "$url"
mv "$directory/lxp-$stamp.dump.partial" "$directory/lxp-$stamp.dump"
# After the dump: a file uploaded meanwhile is in the tar without a row (harmless), never the reverse.
mkdir -p "$uploads"
tar -C "$uploads" -czf "$directory/lxp-uploads-$stamp.tar.gz.partial" .
mv "$directory/lxp-uploads-$stamp.tar.gz.partial" "$directory/lxp-uploads-$stamp.tar.gz"
echo "backed up to $directory/lxp-$stamp.dump and $directory/lxp-uploads-$stamp.tar.gz"

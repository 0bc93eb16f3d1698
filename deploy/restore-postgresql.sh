#!/bin/sh
# Restore a PostgreSQL backup made by backup-postgresql.sh into an EMPTY database (createdb
# first) and an empty upload folder, with the web server and the scheduler stopped. Then run
# `flask --app lxp db upgrade` (a backup from an older lxp) and `flask --app lxp lxp check`.
# Usage: set -a; . /etc/lxp.env; set +a; deploy/restore-postgresql.sh lxp-….dump lxp-uploads-….tar.gz
set -eu
dump=${1:?usage: restore-postgresql.sh DUMP UPLOADS_TAR}
archive=${2:?usage: restore-postgresql.sh DUMP UPLOADS_TAR}
: "${LXP_DATABASE_URL:?LXP_DATABASE_URL is not set}"
uploads=${LXP_UPLOAD_DIR:-${LXP_INSTANCE_PATH:?set LXP_UPLOAD_DIR or LXP_INSTANCE_PATH}/uploads}
url=$(printf '%s' "$LXP_DATABASE_URL" | sed 's|^postgresql+[a-z0-9]*://|postgresql://|')
if [ -d "$uploads" ] && [ -n "$(ls -A "$uploads")" ]; then
  echo "the upload folder $uploads is not empty: restore into an empty installation" >&2
  exit 1
fi
# One transaction: a failure leaves the database as empty as it was.
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$url" "$dump"
mkdir -p "$uploads"
tar -C "$uploads" -xzf "$archive"
echo "restored $dump and $archive"

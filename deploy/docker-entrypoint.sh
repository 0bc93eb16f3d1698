#!/bin/sh
# The image's entrypoint: bring the database to the newest migration, then run the command
# (gunicorn by default, `flask --app scheduler_app lxp scheduler` for the scheduler, or any other).
#
# LXP_MIGRATE_ON_START=true (the default) runs `flask db upgrade` first, so a single container
# (`docker run … lxp`) upgrades itself on start and an upgrade is "pull, restart". Where one
# process migrates for everyone, set it to false in the others: deploy/compose.yaml runs a
# one-off `migrate` service and starts web and scheduler with false, so two containers never
# upgrade at once. A failed migration stops the container (non-zero exit) instead of serving
# pages against the old schema.
set -eu

case "${LXP_MIGRATE_ON_START:-true}" in
  true|1|yes)
    echo "lxp: flask db upgrade" >&2
    flask --app lxp db upgrade
    ;;
  false|0|no) ;;
  *)
    echo "lxp: LXP_MIGRATE_ON_START must be true or false, got '${LXP_MIGRATE_ON_START}'" >&2
    exit 2
    ;;
esac

exec "$@"

#!/usr/bin/env bash
# Builds lxp's two images from deploy/Dockerfile (target "app": gunicorn and the scheduler;
# target "proxy": Caddy with the static files) on a host with neither a Docker engine nor a
# container registry: only Debian's package mirror and PyPI. The official bases the Dockerfile
# names (python:3.11-slim, caddy:2) come from a registry, so this script makes stand-ins from
# Debian bookworm's own packages and passes them as the PYTHON_IMAGE and CADDY_IMAGE arguments:
#   1. `debootstrap --variant=minbase bookworm`, once: kept as a tarball in LXP_IMAGE_CACHE;
#   2. localhost/lxp-base/python:3.11-slim: that root file system with bookworm's security
#      updates and python3 (3.11), and a virtual environment at /usr/local, so that `python`,
#      `python3` and `pip` are on PATH and install into /usr/local/lib/python3.11/site-packages
#      as in the official image (and no PEP 668 block);
#   3. localhost/lxp-base/caddy:2: the same root with Debian's caddy, laid out as the official
#      caddy image (config in /config, certificates in /data, /srv, the same command);
#   4. `buildah bud` of both targets, in chroot isolation (no daemon, no runtime needed).
# Run as root, from anywhere:  deploy/build-local-image.sh   (apt-get install buildah debootstrap)
# Then, e.g.:  podman --root /var/lib/lxp-image/storage --runroot /run/lxp-image run --network host \
#                --env-file /etc/lxp.env -e LXP_BIND=127.0.0.1:8000 localhost/lxp:local
# .ci/image builds with it and runs the result (health, readiness, sign-in page, uid 10001).
#
# Settings from the environment:
#   LXP_IMAGE, LXP_PROXY_IMAGE  the images' names (localhost/lxp:local, localhost/lxp-proxy:local)
#   LXP_IMAGE_TARGETS           which targets to build ("app proxy")
#   LXP_IMAGE_CACHE             the cached bookworm root file system (/var/cache/lxp-image)
#   LXP_CONTAINERS_ROOT         the image store of its own, for buildah and podman alike
#                               (/var/lib/lxp-image/storage; its run state in /run/lxp-image)
#   LXP_STORAGE_DRIVER          overlay, or vfs where overlay cannot be mounted (slower, larger)
#   LXP_DEBIAN_MIRROR           http://deb.debian.org/debian
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=bookworm
MIRROR=${LXP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${LXP_IMAGE_CACHE:-/var/cache/lxp-image}
IMAGE=${LXP_IMAGE:-localhost/lxp:local}
PROXY_IMAGE=${LXP_PROXY_IMAGE:-localhost/lxp-proxy:local}
TARGETS=${LXP_IMAGE_TARGETS:-app proxy}
PYTHON_BASE=localhost/lxp-base/python:3.11-slim
CADDY_BASE=localhost/lxp-base/caddy:2
STORE=(--root "${LXP_CONTAINERS_ROOT:-/var/lib/lxp-image/storage}" --runroot /run/lxp-image
       --storage-driver "${LXP_STORAGE_DRIVER:-overlay}")
export BUILDAH_ISOLATION=chroot  # no runtime and no namespaces of its own needed for RUN steps

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || PATH="$PATH:/usr/sbin" command -v "$tool" >/dev/null || {
    echo "$tool is missing: apt-get install buildah debootstrap" >&2
    exit 1
  }
done
[ "$(id -u)" = 0 ] || { echo "run as root: debootstrap and buildah's chroot isolation need it" >&2; exit 1; }
export PATH="$PATH:/usr/sbin:/sbin"
b() { buildah "${STORE[@]}" "$@"; }
log() { echo "== $(date -u +%T) $*" >&2; }

# 1. The root file system, from the mirror once. What is in it is named in the file's name,
# so a change here makes a new one rather than reusing a stale one.
ROOTFS_TAR="${CACHE}/${SUITE}-minbase-ca-certificates.tar"
if [ ! -s "$ROOTFS_TAR" ]; then
  log "debootstrap --variant=minbase ${SUITE} (once; kept in ${ROOTFS_TAR})"
  mkdir -p "$CACHE"
  work=$(mktemp -d "${CACHE}/rootfs.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2
    exit 1
  }
  # As the official Debian images are: the release, its updates and its security fixes; no
  # package lists or downloaded packages, no device nodes, nothing of this host.
  rm -f "$work/root/etc/apt/sources.list" "$work/root/etc/resolv.conf" "$work/root/etc/hostname"
  cat >"$work/root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$work"/root/var/cache/apt/archives/*.deb "$work"/root/var/lib/apt/lists/* "$work"/root/dev/* \
         "$work"/root/var/log/* "$work"/root/tmp/*
  tar --numeric-owner --xattrs -C "$work/root" -cf "$work/rootfs.tar" .
  mv "$work/rootfs.tar" "$ROOTFS_TAR"
  rm -rf "$work"
  trap - EXIT
fi
ROOTFS_ID=$(sha256sum "$ROOTFS_TAR" | cut -c1-16)

# A base from the cached root file system plus a shell script run inside it, unless an image of
# that name was already made from the same tarball and script.
make_base() {
  local name=$1 script=$2
  shift 2
  local id
  id="${ROOTFS_ID}-$(printf '%s' "$script $*" | sha256sum | cut -c1-16)"
  if [ "$(b inspect --type image --format '{{index .ImageAnnotations "org.lxp.base"}}' "$name" 2>/dev/null)" = "$id" ]; then
    log "${name}: up to date"
    return
  fi
  log "${name}: from ${ROOTFS_TAR}"
  local ctr mnt
  ctr=$(b from --pull=never scratch)
  mnt=$(b mount "$ctr")
  tar --numeric-owner --xattrs -C "$mnt" -xf "$ROOTFS_TAR"
  b umount "$ctr" >/dev/null
  b run "$ctr" -- sh -euc "$script"
  b config --annotation "org.lxp.base=${id}" --os linux --arch "$(dpkg --print-architecture)" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env LANG=C.UTF-8 "$@" "$ctr"
  b commit --rm --quiet "$ctr" "$name" >/dev/null
}

# apt-get as in the official images' Dockerfiles: security fixes in, lists and caches out.
APT='export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get upgrade -y -qq >/dev/null;
     apt-get install -y -qq --no-install-recommends'
APT_CLEAN='apt-get clean; rm -rf /var/lib/apt/lists/* /var/log/apt/* /var/log/dpkg.log'

# 2. python:3.11-slim's contract. A venv at /usr/local: its python, python3 and pip land in
# /usr/local/bin (first on PATH) and install into /usr/local/lib/python3.11/site-packages,
# where the official image keeps its own; Debian's /usr/bin/python3 stays untouched.
make_base "$PYTHON_BASE" "$APT python3 python3-venv >/dev/null; $APT_CLEAN;
  python3 -m venv /usr/local; /usr/local/bin/python -c 'import sys; assert sys.prefix == \"/usr/local\"'" \
  --cmd '["python3"]'

# 3. caddy:2's contract, with Debian's caddy (2.6): the same command, folders and ports.
make_base "$CADDY_BASE" "$APT caddy >/dev/null; $APT_CLEAN; mkdir -p /config/caddy /data/caddy /srv" \
  --env XDG_CONFIG_HOME=/config --env XDG_DATA_HOME=/data --workingdir /srv \
  --port 80 --port 443 --port 443/udp --port 2019 --volume /config --volume /data \
  --cmd '["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]'

# 4. The images themselves. A host whose HTTPS goes through an inspecting proxy (this
# sandbox's does) trusts that proxy's authority in its own bundle: the build's RUN steps see the
# host's bundle in place of the base's (a read-only mount, never stored in the image), and
# Debian's pip reads the system bundle.
build_args=(--pull=never --format docker --layers=false --file deploy/Dockerfile
            --build-arg "PYTHON_IMAGE=${PYTHON_BASE}" --build-arg "CADDY_IMAGE=${CADDY_BASE}")
if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
  build_args+=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
fi
for target in $TARGETS; do
  case "$target" in
    app) name=$IMAGE ;;
    proxy) name=$PROXY_IMAGE ;;
    *) echo "unknown target ${target}: app or proxy" >&2; exit 2 ;;
  esac
  log "buildah bud --target ${target} -t ${name}"
  b bud "${build_args[@]}" --target "$target" --tag "$name" .
done
b rmi --prune >/dev/null  # the images these names pointed to before
b images --filter reference='localhost/lxp*' >&2

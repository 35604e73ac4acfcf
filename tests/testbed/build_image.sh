#!/usr/bin/env bash
# Builds the systemd test-bed image $TESTBED_IMAGE without any container registry:
# debootstrap (minbase, bookworm) + the real Consul 1.8.7 .deb (dpkg -i inside) +
# python-consul2 in the image's system Python, then `docker import`.
#
# - Skips the build when the image carries the label consulsec.testbed.inputs with the
#   hash of its inputs (this script, the .deb's name, the python-consul2 version pinned
#   in requirements.txt); rebuilds otherwise.
# - Caches the debootstrap result as a tarball under .testbed/image/, keyed by suite,
#   mirror and package list, so a rebuild after an edit here skips debootstrap (~50 s).
# - CONSULSEC_FORCE_REBUILD=1 rebuilds even when the label matches (the cache stays).
# Needs root, debootstrap and a running Docker daemon (tests/testbed/dockerd.sh start).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "$0")/../../scripts/lib.sh"

SUITE=bookworm
MIRROR=http://deb.debian.org/debian
# python3-requests and python3-six: run-time dependencies of python-consul2 and of our
# modules, which run inside the containers.
PACKAGES=python3,python3-requests,python3-six,systemd,systemd-sysv,dbus,iproute2,procps,sudo,adduser,pipexec,ca-certificates
IMAGE_DIR="$TESTBED/image"
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

[ "$(id -u)" = 0 ] || die "building the image needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap not found: run scripts/setup"
docker info >/dev/null 2>&1 || die "no Docker daemon answers: run tests/testbed/dockerd.sh start"
[ -e "$CONSUL_DIR/consul.deb" ] || "$ROOT/tests/testbed/fetch_consul.sh"
deb_name=$(basename "$(readlink -f "$CONSUL_DIR/consul.deb")")
# python-consul2 as pinned in requirements.txt (what the modules are tested with).
PY_CONSUL_VERSION=$(sed -n 's/^python-consul2==\([0-9][^ ;#]*\).*/\1/p' "$ROOT/requirements.txt")
[ -n "$PY_CONSUL_VERSION" ] || die "requirements.txt pins no python-consul2==<version>"

inputs=$( { cat "$SELF"; echo "$deb_name python-consul2==$PY_CONSUL_VERSION"; } | sha256sum | cut -c1-16)
have=$(docker image inspect -f '{{ index .Config.Labels "consulsec.testbed.inputs" }}' \
  "$TESTBED_IMAGE" 2>/dev/null || true)
if [ "$have" = "$inputs" ] && [ "${CONSULSEC_FORCE_REBUILD:-0}" != 1 ]; then
  echo "Image $TESTBED_IMAGE is up to date (inputs $inputs)"
  exit 0
fi
old_id=$(docker image inspect -f '{{.Id}}' "$TESTBED_IMAGE" 2>/dev/null || true)

# Removes a temporary root file system. Never rm -rf through a mount: first unmount
# whatever an interrupted debootstrap or chroot step left inside.
remove_rootfs() {
  local dir=$1 m
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r \
    | while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$dir"
}
mkdir -p "$IMAGE_DIR"
for stale in "$IMAGE_DIR"/rootfs.*/; do   # left by a killed run
  if [ -d "$stale" ]; then remove_rootfs "${stale%/}"; fi
done
rootfs=$(mktemp -d "$IMAGE_DIR/rootfs.XXXXXX")
trap 'remove_rootfs "$rootfs"' EXIT
trap 'exit 130' INT TERM

# 1. The debootstrap root file system, from the cache when the package list is unchanged.
key=$(echo "$SUITE $MIRROR minbase $PACKAGES" | sha256sum | cut -c1-16)
cache="$IMAGE_DIR/rootfs-$SUITE-$key.tar"
if [ -f "$cache" ]; then
  log "Unpacking the cached debootstrap root file system ($(basename "$cache"))"
  tar -C "$rootfs" --numeric-owner -xpf "$cache"
else
  log "debootstrap --variant=minbase $SUITE (about 50-75 s)"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" \
    >"$IMAGE_DIR/debootstrap.log" 2>&1 \
    || { tail -n 30 "$IMAGE_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $IMAGE_DIR/debootstrap.log)"; }
  rm -f "$rootfs"/var/cache/apt/archives/*.deb
  rm -f "$IMAGE_DIR"/rootfs-*.tar
  tar -C "$rootfs" --numeric-owner -cf "$cache.tmp" .
  mv "$cache.tmp" "$cache"
fi

in_root() {
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C \
    DEBIAN_FRONTEND=noninteractive PYTHONDONTWRITEBYTECODE=1 "$@"
}

# 2. The Consul package, installed the way an operator would (creates user consul,
#    /etc/consul.d, the systemd unit; the unit stays disabled).
log "Installing $deb_name"
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
cp "$CONSUL_DIR/consul.deb" "$rootfs/tmp/consul.deb"
in_root dpkg -i /tmp/consul.deb >/dev/null
rm -f "$rootfs/tmp/consul.deb" "$rootfs/usr/sbin/policy-rc.d"
[ -d "$rootfs/etc/consul.d" ] || die "the Consul package left no /etc/consul.d"
[ -f "$rootfs/lib/systemd/system/consul.service" ] || die "the Consul package left no consul.service"

# 3. python-consul2 (pure Python) into the image's system Python; its dependencies
#    come from Debian. The wheel is fetched once on the host, nothing at run time.
pip_dir="$IMAGE_DIR/pip"
shopt -s nullglob
whls=("$pip_dir/python_consul2-$PY_CONSUL_VERSION-"*.whl)
if [ "${#whls[@]}" = 0 ]; then
  log "Downloading python-consul2==$PY_CONSUL_VERSION"
  "$VENV/bin/python" -m pip download -q --no-deps --only-binary=:all: --dest "$pip_dir" \
    "python-consul2==$PY_CONSUL_VERSION"
  whls=("$pip_dir/python_consul2-$PY_CONSUL_VERSION-"*.whl)
  [ "${#whls[@]}" != 0 ] || die "pip download left no python-consul2 wheel in $pip_dir"
fi
shopt -u nullglob
whl=${whls[0]}
pyver=$(in_root python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
site="/usr/local/lib/python$pyver/dist-packages"
log "Installing $(basename "$whl") into $site"
"$VENV/bin/python" -m pip install -q --no-deps --no-index --no-compile --target "$rootfs$site" "$whl"
in_root python3 -m compileall -q "$site" >/dev/null
in_root python3 -c 'import consul, requests, six; consul.Consul' \
  || die "python-consul2 does not import inside the image"

# 4. Container details: a fresh machine id per container (systemd makes one at boot
#    when /etc/machine-id is empty, but would take dbus's copy if there were one), no
#    apt lists (no network inside anyway).
: >"$rootfs/etc/machine-id"
ln -sfn /etc/machine-id "$rootfs/var/lib/dbus/machine-id"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/tmp/*

# 5. Import.
log "Importing $TESTBED_IMAGE"
tar -C "$rootfs" --numeric-owner -cf - . \
  | docker import \
      -c 'CMD ["/lib/systemd/systemd"]' \
      -c 'ENV container=docker' \
      -c "LABEL consulsec.testbed=1 consulsec.testbed.inputs=$inputs" \
      -m "consulsec test bed: $SUITE minbase + $deb_name + python-consul2 $PY_CONSUL_VERSION" \
      - "$TESTBED_IMAGE" >/dev/null
new_id=$(docker image inspect -f '{{.Id}}' "$TESTBED_IMAGE")
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  docker image rm "$old_id" >/dev/null 2>&1 || echo "note: the previous image $old_id is still in use; not removed" >&2
fi
echo "Built $TESTBED_IMAGE ($new_id, inputs $inputs)"

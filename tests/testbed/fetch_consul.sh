#!/usr/bin/env bash
# Downloads the real Consul 1.8.7 build that Debian bullseye ships and unpacks it under
# .testbed/consul/root, without touching the system's apt configuration.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

# (the version is read into a variable: piping it into grep -q or head would end consul
# with SIGPIPE, which pipefail turns into a failure)
if [ -x "$CONSUL_BIN" ] && [[ "$("$CONSUL_BIN" version)" == "Consul v1.8.7"* ]]; then
  exit 0
fi
apt_dir="$CONSUL_DIR/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main' \
  >"$apt_dir/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
      -o APT::Sandbox::User=root)
apt-get "${opts[@]}" -qq update
(cd "$CONSUL_DIR" && apt-get "${opts[@]}" -qq download "consul=$CONSUL_DEB_VERSION")
debs=("$CONSUL_DIR"/consul_*.deb)
deb=${debs[0]}
rm -rf "$CONSUL_DIR/root"
dpkg-deb -x "$deb" "$CONSUL_DIR/root"
ln -sf "$(basename "$deb")" "$CONSUL_DIR/consul.deb"
version=$("$CONSUL_BIN" version)
echo "${version%%$'\n'*}"

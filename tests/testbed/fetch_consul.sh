#!/usr/bin/env bash
# Downloads the real Consul 1.8.7 build that Debian bullseye ships and unpacks it under
# .testbed/consul/root, without touching the system's apt configuration.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

if [ -x "$CONSUL_BIN" ] && "$CONSUL_BIN" version | grep -q 'Consul v1.8.7'; then
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
deb=$(ls "$CONSUL_DIR"/consul_*.deb | head -n 1)
rm -rf "$CONSUL_DIR/root"
dpkg-deb -x "$deb" "$CONSUL_DIR/root"
ln -sf "$(basename "$deb")" "$CONSUL_DIR/consul.deb"
"$CONSUL_BIN" version | head -n 1

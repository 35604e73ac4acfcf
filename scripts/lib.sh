#!/usr/bin/env bash
# Shared settings for the project's scripts. Source it; it sets paths and PATH only.
# Everything the test bed creates lives under .testbed/ (git-ignored).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESTBED="$ROOT/.testbed"
VENV="$ROOT/.venv"
CONSUL_DEB_VERSION="1.8.7+dfsg1-2+b3"
CONSUL_DIR="$TESTBED/consul"
CONSUL_BIN="$CONSUL_DIR/root/usr/bin/consul"
COLLECTIONS_DIR="$TESTBED/collections"
TESTBED_IMAGE="${CONSULSEC_TESTBED_IMAGE:-consulsec-testbed:1.8.7}"
export ROOT TESTBED VENV CONSUL_BIN COLLECTIONS_DIR TESTBED_IMAGE CONSUL_DEB_VERSION CONSUL_DIR

export PATH="$VENV/bin:$CONSUL_DIR/root/usr/bin:$PATH"
# The collection is found through a link ansible_collections/consulsec/hardening -> checkout.
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_DIR"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=true
export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-0}"
export ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-1}"
export PYTHONDONTWRITEBYTECODE=1

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

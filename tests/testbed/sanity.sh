#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection in an ansible_collections/ tree
# (ansible-test needs that layout; the checkout itself can live anywhere).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

# ansible-test bootstraps pip in its venvs with a script from a host we cannot reach
pip_version=$(python - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
import sys
print(get_venv_packages(NativePythonConfig(version=f"{sys.version_info[0]}.{sys.version_info[1]}"))["pip"])
PY
)
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for v in $pip_version; do
  cp "$ROOT/tests/testbed/get_pip_offline.py" "$cache/get_pip_${v//./_}.py"
done

tree="$TESTBED/sanity/ansible_collections/consulsec/hardening"
rm -rf "$TESTBED/sanity"
mkdir -p "$tree"
# tracked and new (not ignored) files, as they are in the work tree
# (a tracked file deleted in the work tree is left out)
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do
    if [ -e "$file" ]; then cp --parents "$file" "$tree/"; fi
  done)
cd "$tree"
git init -q . && git add -A >/dev/null
python_version=$(python -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
ansible-test sanity --local --python "$python_version" --requirements "$@"

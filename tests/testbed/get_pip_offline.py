"""Stand-in for the pip bootstrap script ansible-test downloads from ci-files.testing.ansible.com.

That host is not reachable from the test machines; PyPI is. ansible-test runs this file
with the arguments it would give get-pip.py (packages such as pip==24.2, plus options):
bootstrap pip from the interpreter's own ensurepip, then install what was asked from PyPI.
tests/testbed/sanity.sh copies it to ~/.ansible/test/cache/get_pip_<version>.py.
"""

from __future__ import annotations

import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"],
                      stdout=subprocess.DEVNULL)
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *args])

"""Independent reader of an agent's running configuration, for the Molecule scenarios.

Prints the chosen DebugConfig fields of /v1/agent/self as a JSON list. Tries plain HTTP
first, then HTTPS with the given CA and client certificate (an agent whose plain HTTP is
closed). Standard library only (runs inside the test containers). Exits 1 when the agent
answers neither way.

  agent_self.py http://127.0.0.1:8500 https://127.0.0.1:8501 ca.pem cert.pem key.pem \\
      VerifyIncoming VerifyOutgoing VerifyServerHostname
"""

import json
import os
import ssl
import sys
import urllib.request


def read(url: str, context=None) -> dict:
    with urllib.request.urlopen(url + "/v1/agent/self", timeout=5, context=context) as reply:  # noqa: S310
        return json.load(reply)


def main(argv: list) -> int:
    http_url, https_url, cacert, cert, key, *fields = argv
    try:
        found = read(http_url)
    except OSError as http_error:
        if not all(os.path.exists(f) for f in (cacert, cert, key)):
            print(f"no answer over HTTP ({http_error}), and no certificate for HTTPS", file=sys.stderr)
            return 1
        context = ssl.create_default_context(cafile=cacert)
        context.load_cert_chain(cert, key)
        try:
            found = read(https_url, context)
        except OSError as https_error:
            print(f"no answer over HTTP ({http_error}) nor HTTPS ({https_error})", file=sys.stderr)
            return 1
    print(json.dumps([found["DebugConfig"][f] for f in fields]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Independent TLS checks of a Consul agent, for the Molecule scenarios (standard library
only; runs inside the test containers). Prints one JSON object.

  tls_probe.py https HOST PORT NAME CA [CERT KEY]
      TLS to the HTTPS API, verified against CA for the host name NAME; with CERT/KEY as
      client certificate. -> {"handshake": bool, "status": int|null, "error": str|null}
  tls_probe.py rpc HOST PORT NAME CA [CERT KEY]
      Consul's RPC port: the TLS RPC byte, a TLS handshake (verified against CA for NAME),
      then the RPC Status.Ping. A server that refuses the client (no or a foreign
      certificate) aborts; one that accepts it answers the ping.
      -> {"outcome": "accepted"|"refused", "detail": str}
  tls_probe.py plain-rpc HOST PORT [...]
      The same ping without TLS -> {"outcome": "accepted"|"refused", "detail": str}
  tls_probe.py http-get URL
      A plain HTTP GET -> {"status": int|null, "body": str}
"""

import json
import socket
import ssl
import sys
import urllib.error
import urllib.request

RPC_TLS = b"\x03"
RPC_CONSUL = b"\x00"
# msgpack-rpc request {"ServiceMethod": "Status.Ping", "Seq": 0} and empty arguments {}
PING = (b"\x82\xadServiceMethod\xabStatus.Ping\xa3Seq\x00" + b"\x80")


def ping(sock: socket.socket) -> dict:
    """Send the ping on an open RPC connection; an answer means the server accepted us."""
    sock.settimeout(5)
    try:
        sock.sendall(RPC_CONSUL + PING)
        data = sock.recv(64)
    except (ssl.SSLError, OSError) as exc:
        return {"outcome": "refused", "detail": f"{type(exc).__name__}: {exc}"}
    if data:
        return {"outcome": "accepted", "detail": f"answered {data[:40]!r}"}
    return {"outcome": "refused", "detail": "the server closed the connection"}


def context(ca: str, cert: str = "", key: str = "") -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def https(host: str, port: str, name: str, ca: str, cert: str = "", key: str = "") -> dict:
    ctx = context(ca, cert, key)
    try:
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                request = f"GET /v1/agent/self HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n"
                tls.sendall(request.encode())
                head = tls.recv(64).decode(errors="replace")
        status = int(head.split()[1]) if head.startswith("HTTP/") else None
        return {"handshake": True, "status": status, "error": None if status else f"answered {head!r}"}
    except ssl.SSLCertVerificationError as exc:
        return {"handshake": False, "status": None, "error": f"certificate not accepted: {exc}"}
    except (ssl.SSLError, OSError) as exc:
        return {"handshake": True, "status": None, "error": f"{type(exc).__name__}: {exc}"}


def rpc(host: str, port: str, name: str, ca: str, cert: str = "", key: str = "") -> dict:
    ctx = context(ca, cert, key)
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        try:
            raw.sendall(RPC_TLS)
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                return ping(tls)
        except ssl.SSLCertVerificationError as exc:
            return {"outcome": "refused", "detail": f"server certificate not accepted: {exc}"}
        except (ssl.SSLError, OSError) as exc:
            return {"outcome": "refused", "detail": f"{type(exc).__name__}: {exc}"}


def plain_rpc(host: str, port: str, *_ignored: str) -> dict:
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        return ping(raw)


def http_get(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310 - test bed only
            return {"status": reply.status, "body": reply.read(300).decode(errors="replace")}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "body": exc.read(300).decode(errors="replace")}
    except OSError as exc:
        return {"status": None, "body": f"{type(exc).__name__}: {exc}"}


def main(argv: list) -> int:
    command, *args = argv
    found = {"https": https, "rpc": rpc, "plain-rpc": plain_rpc, "http-get": http_get}[command](*args)
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

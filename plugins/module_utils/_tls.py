# Copyright: consulsec.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions for Consul's TLS material: make a CA and agent certificates, read a
certificate, and judge a certificate, key and CA together (for re-issuing and for the
preflight before any restart).

What Consul checks (1.8.7 measured, and Consul's TLS docs): with
``verify_server_hostname`` a server's certificate must name ``server.<dc>.<domain>``
in its DNS SANs (Go ignores the common name); agents use one certificate as server and
as client, so it needs both extended key usages; every agent must trust the CA that
signed every other agent's certificate.

Private module_utils: may change in any release.
"""

from __future__ import annotations

import datetime
import ipaddress
from typing import Any, Union

from ._errors import ConsulInputError

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the modules
    CRYPTOGRAPHY_IMPORT_ERROR = exc

PrivateKey = Union["ec.EllipticCurvePrivateKey", "rsa.RSAPrivateKey"]
ROLES = ("server", "client")


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


# ----------------------------------------------------------------------- keys
def new_key(algorithm: str = "ec", size: int = 256) -> PrivateKey:
    """EC P-256 (Consul's default) or P-384, or RSA of ``size`` bits (2048 or more)."""
    if algorithm == "ec":
        curves = {256: ec.SECP256R1(), 384: ec.SECP384R1()}
        if size not in curves:
            raise ConsulInputError(f"EC key size {size}: use 256 (P-256) or 384 (P-384)")
        return ec.generate_private_key(curves[size])
    if algorithm == "rsa":
        if size < 2048:
            raise ConsulInputError(f"RSA key size {size}: use 2048 or more")
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    raise ConsulInputError(f"key algorithm {algorithm!r}: use ec or rsa")


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_key(data: bytes, source: str) -> PrivateKey:
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConsulInputError(f"{source} is not an unencrypted PEM private key: {exc}") from None


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_cert(data: bytes, source: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise ConsulInputError(f"{source} is not a PEM certificate: {exc}") from None


def load_certs(data: bytes, source: str) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle (a CA file may hold several)."""
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise ConsulInputError(f"{source} holds no PEM certificate: {exc}") from None
    return certs


def _public_bytes(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(cert: x509.Certificate) -> str:
    return "sha256:" + cert.fingerprint(hashes.SHA256()).hex()[:32]


# ------------------------------------------------------------------- building
def agent_names(role: str, datacenter: str, domain: str = "consul",
                dns_names: list[str] | None = None,
                ip_addresses: list[str] | None = None) -> dict[str, list[str]]:
    """The names an agent certificate carries: ``<role>.<dc>.<domain>``, localhost and
    127.0.0.1, then the host's own names and addresses as given."""
    if role not in ROLES:
        raise ConsulInputError(f"role {role!r}: use server or client")
    dns = [f"{role}.{datacenter}.{domain}", "localhost"]
    for name in dns_names or []:
        if name and name not in dns:
            dns.append(name)
    ips = ["127.0.0.1"]
    for address in ip_addresses or []:
        try:
            text = str(ipaddress.ip_address(address))
        except ValueError:
            raise ConsulInputError(f"{address!r} is not an IP address; put host names "
                                   "in dns_names") from None
        if text not in ips:
            ips.append(text)
    return {"dns": dns, "ip": ips}


def _builder(subject: str, public_key: Any, days: int, now: datetime.datetime
             ) -> x509.CertificateBuilder:
    if days < 1:
        raise ConsulInputError(f"validity of {days} days: give 1 or more")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    return (x509.CertificateBuilder()
            .subject_name(name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            # a minute back: agents whose clocks lag a little still accept it
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def _hash_for(key: PrivateKey) -> Any:
    return hashes.SHA256()


def build_ca(key: PrivateKey, common_name: str, days: int,
             now: datetime.datetime | None = None) -> x509.Certificate:
    """A self-signed CA that may sign agent certificates only (path length 0)."""
    builder = (_builder(common_name, key.public_key(), days, now or utcnow())
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                            crl_sign=True, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, encipher_only=False,
                                            decipher_only=False), critical=True))
    return builder.sign(key, _hash_for(key))


def build_agent_cert(ca_cert: x509.Certificate, ca_key: PrivateKey, key: PrivateKey,
                     role: str, names: dict[str, list[str]], days: int,
                     now: datetime.datetime | None = None) -> x509.Certificate:
    """An agent certificate signed by the CA: both extended key usages (an agent is
    server and client of TLS), the names of ``agent_names``."""
    if _public_bytes(ca_key.public_key()) != _public_bytes(ca_cert.public_key()):
        raise ConsulInputError("the CA key does not belong to the CA certificate")
    rsa_key = isinstance(key, rsa.RSAPrivateKey)
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names["dns"]]
    sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in names["ip"]]
    builder = (_builder(names["dns"][0], key.public_key(), days, now or utcnow())
               .issuer_name(ca_cert.subject)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=rsa_key,
                                            content_commitment=False, data_encipherment=False,
                                            key_agreement=False, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                     ExtendedKeyUsageOID.CLIENT_AUTH]),
                              critical=False)
               .add_extension(x509.SubjectAlternativeName(sans), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   ca_key.public_key()), critical=False))
    if role not in ROLES:
        raise ConsulInputError(f"role {role!r}: use server or client")
    return builder.sign(ca_key, _hash_for(ca_key))


# -------------------------------------------------------------------- reading
def describe(cert: x509.Certificate) -> dict[str, Any]:
    """What an operator needs to see of a certificate (nothing secret)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = san.get_values_for_type(x509.DNSName)
        ips = [str(a) for a in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        dns, ips = [], []
    try:
        eku = [oid._name for oid in  # noqa: SLF001 - the readable name
               cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        eku = []
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "dns_names": dns,
        "ip_addresses": ips,
        "extended_key_usage": eku,
        "is_ca": is_ca,
        "fingerprint": fingerprint(cert),
    }


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """Whether ``ca``'s key signed ``cert`` (the signature checks out)."""
    if cert.issuer != ca.subject:
        return False
    public = ca.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                          cert.signature_hash_algorithm)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes,
                          ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return False
    except Exception:  # noqa: BLE001 - any failure means "not signed by it"
        return False
    return True


def key_matches(cert: x509.Certificate, key: PrivateKey) -> bool:
    return _public_bytes(cert.public_key()) == _public_bytes(key.public_key())


# ------------------------------------------------------------------- judging
def cert_problems(cert: x509.Certificate, *, cas: list[x509.Certificate] | None = None,
                  key: PrivateKey | None = None, names: dict[str, list[str]] | None = None,
                  min_days_left: float = 0, now: datetime.datetime | None = None
                  ) -> list[dict[str, str]]:
    """Everything wrong with an agent certificate, each with a code and a sentence.

    Codes: ``not_yet_valid``, ``expired``, ``expiring``, ``other_ca``, ``key_mismatch``,
    ``missing_names``, ``key_usage``, ``is_ca``. An empty list: fit for use."""
    now = now or utcnow()
    problems = []

    def add(code: str, text: str) -> None:
        problems.append({"code": code, "problem": text})

    if now < cert.not_valid_before_utc:
        add("not_yet_valid", f"not valid before {cert.not_valid_before_utc.isoformat()} "
                             "(check the clocks, or re-issue it)")
    if now >= cert.not_valid_after_utc:
        add("expired", f"expired on {cert.not_valid_after_utc.isoformat()}")
    elif cert.not_valid_after_utc - now < datetime.timedelta(days=min_days_left):
        left = (cert.not_valid_after_utc - now).total_seconds() / 86400
        add("expiring", f"expires on {cert.not_valid_after_utc.isoformat()}, "
                        f"{left:.1f} days from now, within the margin of {min_days_left:g} days")
    if cas is not None and not any(signed_by(cert, ca) for ca in cas):
        issuer = cert.issuer.rfc4514_string()
        same_name = any(c.subject == cert.issuer for c in cas)
        add("other_ca", f"not signed by the CA ({', '.join(c.subject.rfc4514_string() for c in cas)}"
                        f"); it was issued by {'another CA of the same name, ' if same_name else ''}"
                        f"{issuer}")
    if key is not None and not key_matches(cert, key):
        add("key_mismatch", "the private key does not belong to this certificate")
    seen = describe(cert)
    if names is not None:
        missing = [n for n in names.get("dns", []) if n not in seen["dns_names"]]
        missing += [a for a in names.get("ip", []) if a not in seen["ip_addresses"]]
        if missing:
            add("missing_names", f"does not name {', '.join(missing)} (it names "
                                 f"{', '.join(seen['dns_names'] + seen['ip_addresses']) or 'nothing'})")
    wanted = {"serverAuth", "clientAuth"}
    if seen["extended_key_usage"] and not wanted <= set(seen["extended_key_usage"]):
        add("key_usage", f"extended key usage {', '.join(seen['extended_key_usage'])}: an agent "
                         "needs serverAuth and clientAuth")
    if seen["is_ca"]:
        add("is_ca", "is a CA certificate, not an agent certificate")
    return problems


def public_key_fingerprint(key_or_cert: Any) -> str:
    """A name for a key pair that is safe to show: the SHA-256 of its public key."""
    public = key_or_cert.public_key()
    digest = hashes.Hash(hashes.SHA256())
    digest.update(_public_bytes(public))
    return "sha256:" + digest.finalize().hex()[:32]


FIXES = {
    "missing": "put the file in place, or let the role issue it",
    "unreadable": "give a PEM file (certificates and unencrypted keys)",
    "not_yet_valid": "check the host's clock, or re-issue the certificate",
    "expired": "re-issue the certificate (consul_tls_cert re-issues when asked)",
    "expiring": "re-issue the certificate before the roll, or lower the margin knowingly",
    "other_ca": "sign it with the cluster's CA, or give this agent the CA that signed it",
    "key_mismatch": "give the key that belongs to the certificate, or re-issue both",
    "missing_names": "re-issue it with the names Consul checks (consul_tls_cert)",
    "key_usage": "re-issue it with serverAuth and clientAuth",
    "is_ca": "give the agent's own certificate, not the CA's",
    "ca_not_shared": "give every agent a CA file that holds the CA of every agent's certificate",
}


def preflight(agents: dict[str, dict[str, Any]], datacenter: str, domain: str = "consul",
              min_days_left: float = 0, now: datetime.datetime | None = None
              ) -> list[dict[str, str]]:
    """Every reason the cluster's TLS material would break a roll, before the first restart.

    ``agents``: name -> {role, ca_file, ca_pem, cert_file, cert_pem, key_file,
    key_public (public_key_fingerprint of the agent's key, read on its host),
    dns_names, ip_addresses}. A PEM that is missing is None. Checks, per agent: the
    certificate is signed by a CA in its own CA file, its key belongs to it, it is valid
    now and for ``min_days_left`` days, it names what Consul checks for its role; and for
    the cluster: every agent's CA file holds the CA of every other agent's certificate
    (each side verifies the other). An agent with ``auto_encrypt`` true is a client that
    gets its certificate from the servers (signed by the Connect CA, which the servers
    trust on their own): only its CA file is judged, which must hold the CA of every other
    agent's certificate. Each problem names the agent, the file and the fix."""
    problems: list[dict[str, str]] = []
    parsed: dict[str, dict[str, Any]] = {}

    def add(agent: str, path: str, code: str, text: str) -> None:
        problems.append({"agent": agent, "file": path, "code": code, "problem": text,
                         "fix": FIXES[code]})

    for name, material in sorted(agents.items()):
        cas: list[x509.Certificate] = []
        cert = None
        auto_encrypt = bool(material.get("auto_encrypt"))
        for kind in ("ca",) if auto_encrypt else ("ca", "cert"):
            path, data = material.get(f"{kind}_file", ""), material.get(f"{kind}_pem")
            if data is None:
                add(name, path, "missing", f"{path or 'the ' + kind + ' file'} does not exist")
                continue
            try:
                if kind == "ca":
                    cas = load_certs(data.encode() if isinstance(data, str) else data, path)
                else:
                    cert = load_cert(data.encode() if isinstance(data, str) else data, path)
            except ConsulInputError as exc:
                add(name, path, "unreadable", str(exc))
        if auto_encrypt:
            parsed[name] = {"cert": None, "cas": cas}
            continue
        if material.get("key_public") is None:
            add(name, material.get("key_file", ""), "missing",
                f"{material.get('key_file') or 'the key file'} does not exist or is not a key")
        if cert is None:
            continue
        parsed[name] = {"cert": cert, "cas": cas}
        names = agent_names(material["role"], datacenter, domain,
                            material.get("dns_names"), material.get("ip_addresses"))
        for problem in cert_problems(cert, cas=cas or None, names=names,
                                     min_days_left=min_days_left, now=now):
            add(name, material["cert_file"], problem["code"], problem["problem"])
        if material.get("key_public") and public_key_fingerprint(cert) != material["key_public"]:
            add(name, material["key_file"], "key_mismatch",
                f"{material['key_file']} does not belong to {material['cert_file']}")
    for name, seen in sorted(parsed.items()):
        for other, theirs in sorted(parsed.items()):
            if other == name or not seen["cas"] or theirs["cert"] is None:
                continue
            if not any(signed_by(theirs["cert"], ca) for ca in seen["cas"]):
                add(name, agents[name]["ca_file"], "ca_not_shared",
                    f"its CA file does not hold the CA that signed {other}'s certificate "
                    f"({theirs['cert'].issuer.rfc4514_string()}): {name} would refuse {other}")
    return problems

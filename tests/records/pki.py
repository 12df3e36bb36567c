"""A test PKI: a root CA built once per session, signer and TSA certificates issued by it,
PKCS#12 files with a passphrase, and a local RFC 3161 time-stamp server in a thread."""

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

PASSPHRASE = "correct horse battery staple"
SIGNING = ("digital_signature", "non_repudiation")


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def asn1(self) -> asn1_x509.Certificate:
        return to_asn1(self.cert)

    @property
    def key_der(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto form pyHanko works with."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@functools.cache
def _rsa_key(slot: str) -> rsa.RSAPrivateKey:
    # Keys are slow to make; a key per role is enough for tests.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hop Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@functools.cache
def root_ca(name: str = "Hop Test Root CA") -> Issued:
    """A self-signed root, made once per session per name."""
    key = _rsa_key(f"ca:{name}")
    subject = _name(name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - timedelta(days=365))
        .not_valid_after(_now() + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(("key_cert_sign", "crl_sign")), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    return Issued(builder.sign(key, hashes.SHA256()), key)


def issue(
    common_name: str,
    *,
    ca: Issued | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_usage: Sequence[str] | None = SIGNING,
    extended_key_usage: Sequence[x509.ObjectIdentifier] = (),
) -> Issued:
    """An end-entity certificate issued by the CA (the session's test CA by default)."""
    issuer = ca or root_ca()
    key = _rsa_key(f"ee:{common_name}")
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or _now() - timedelta(days=1))
        .not_valid_after(not_after or _now() + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), False
        )
    )
    if key_usage is not None:
        builder = builder.add_extension(_key_usage(key_usage), critical=True)
    if extended_key_usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended_key_usage), critical=True)
    return Issued(builder.sign(issuer.key, hashes.SHA256()), key)


def _key_usage(usages: Sequence[str]) -> x509.KeyUsage:
    flags = {
        name: name in usages
        for name in (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
        )
    }
    flags["content_commitment"] = "non_repudiation" in usages
    return x509.KeyUsage(**flags, encipher_only=False, decipher_only=False)


def pkcs12_bytes(
    issued: Issued, *, passphrase: str = PASSPHRASE, chain: Sequence[Issued] | None = None
) -> bytes:
    """A PKCS#12 file with the key, its certificate and the CA chain, under a passphrase."""
    cas = [root_ca().cert] if chain is None else [item.cert for item in chain]
    return pkcs12.serialize_key_and_certificates(
        name=b"signer",
        key=issued.key,
        cert=issued.cert,
        cas=cas,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode()),
    )


def tsa() -> Issued:
    """A time-stamping authority certificate from the test CA, valid for years as real ones are."""
    return issue(
        "Hop Test TSA",
        not_after=_now() + timedelta(days=3000),
        key_usage=SIGNING,
        extended_key_usage=(ExtendedKeyUsageOID.TIME_STAMPING,),
    )


@contextmanager
def local_tsa() -> Iterator[str]:
    """An RFC 3161 server on localhost answering with pyHanko's DummyTimeStamper; yields its URL."""
    authority = tsa()
    stamper = DummyTimeStamper(
        tsa_cert=authority.asn1,
        tsa_key=asn1_keys.PrivateKeyInfo.load(authority.key_der),
        certs_to_embed=SimpleCertificateStore.from_certs([root_ca().asn1]),
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _tsa_handler(stamper))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _tsa_handler(stamper: DummyTimeStamper) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    return Handler

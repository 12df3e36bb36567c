"""Signer keys: a PKCS#12 file a person uploads once, sealed at rest, opened with a passphrase
that is asked at every signature and never stored; and the checks made before it signs."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from asn1crypto.keys import PrivateKeyInfo
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    ValidationError,
)
from pyhanko_certvalidator.registry import SimpleCertificateStore

from core.at_rest import AtRestCipher
from records.signing_errors import (
    CertificateExpiredError,
    CertificateNotTrustedError,
    KeyFileError,
    KeyUsageError,
    WrongPassphraseError,
)

KEY_PURPOSE = b"hop/signer-key/v1"
SIGNING_KEY_TYPES = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)
SigningKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
MAX_KEY_FILE_BYTES = 256 * 1024
# Either usage lets a certificate sign documents (RFC 5280 4.2.1.3, ETSI EN 319 412-2).
SIGNING_USAGES = frozenset({"digital_signature", "non_repudiation"})


@dataclass(frozen=True)
class CertificateInfo:
    """What a person sees of a signing certificate."""

    common_name: str
    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    fingerprint: str


def read_pkcs12(data: bytes, passphrase: str) -> tuple[SimpleSigner, CertificateInfo]:
    """The signer held in a PKCS#12 file and its certificate; raises on a bad file or passphrase."""
    if not data or len(data) > MAX_KEY_FILE_BYTES:
        raise KeyFileError("The key file is not a PKCS#12 file.")
    _require_pkcs12_structure(data)
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, passphrase.encode() or None)
    except ValueError as error:
        # The structure parsed, so what failed is the decryption or the MAC: the passphrase.
        raise WrongPassphraseError("The passphrase does not open the key file.") from error
    if key is None:
        raise KeyFileError("The key file holds no private key.")
    if cert is None:
        raise KeyFileError("The key file holds no certificate.")
    if not isinstance(key, SIGNING_KEY_TYPES):
        raise KeyFileError("The key in the key file cannot sign.")
    return _simple_signer(key, cert, others), certificate_info(cert)


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    """Names, validity and fingerprint of a certificate."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return CertificateInfo(
        common_name=str(names[0].value) if names else "",
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
    )


def check_certificate(
    signer: Signer, *, trust_roots: Sequence[asn1_x509.Certificate], at: datetime
) -> None:
    """Refuse a certificate that is out of date, may not sign documents, or is not trusted."""
    cert = signer.signing_cert
    if cert is None:
        raise KeyFileError("The key file holds no certificate.")
    when = at if at.tzinfo else at.replace(tzinfo=UTC)
    if not cert.not_valid_before <= when <= cert.not_valid_after:
        raise CertificateExpiredError("The certificate is not valid at this time.")
    if not SIGNING_USAGES & signing_usages(cert):
        raise KeyUsageError("The certificate may not be used to sign documents.")
    if not trust_roots:
        raise CertificateNotTrustedError("The certificate is not issued by a trusted authority.")
    asyncio.run(_validate_chain(signer, trust_roots=trust_roots, at=when))


def signing_usages(cert: asn1_x509.Certificate) -> set[str]:
    """The document-signing key usages the certificate allows (none without the extension)."""
    usage = cert.key_usage_value
    return set(usage.native) & SIGNING_USAGES if usage is not None else set()


def seal_key_file(cipher: AtRestCipher, data: bytes, *, person_id: int) -> bytes:
    """The PKCS#12 bytes sealed for storage, bound to their owner."""
    return cipher.seal(data, bound_to=_binding(person_id))


def open_key_file(cipher: AtRestCipher, blob: bytes, *, person_id: int) -> bytes:
    """The PKCS#12 bytes of a sealed blob; raises SealedDataError for another person's blob."""
    return cipher.open(blob, bound_to=_binding(person_id))


async def _validate_chain(
    signer: Signer, *, trust_roots: Sequence[asn1_x509.Certificate], at: datetime
) -> None:
    # No fetching: a test CA or a private root has no OCSP/CRL, so revocation is soft-fail.
    context = ValidationContext(
        trust_roots=list(trust_roots),
        moment=at,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    validator = CertificateValidator(
        signer.signing_cert,
        intermediate_certs=list(signer.cert_registry or ()),
        validation_context=context,
    )
    try:
        await validator.async_validate_path()
    except (ExpiredError, NotYetValidError) as error:
        raise CertificateExpiredError("The certificate is not valid at this time.") from error
    except (PathBuildingError, PathValidationError, ValidationError) as error:
        raise CertificateNotTrustedError(
            "The certificate is not issued by a trusted authority."
        ) from error


def _require_pkcs12_structure(data: bytes) -> None:
    # Parsing the outer structure first tells a wrong file from a wrong passphrase.
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        _ = pfx.native
    except (ValueError, TypeError, KeyError) as error:
        raise KeyFileError("The key file is not a PKCS#12 file.") from error


def _simple_signer(
    key: SigningKey,
    cert: x509.Certificate,
    others: list[x509.Certificate],
) -> SimpleSigner:
    registry = SimpleCertificateStore()
    registry.register_multiple([_to_asn1(other) for other in others])
    key_der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SimpleSigner(
        signing_cert=_to_asn1(cert),
        signing_key=PrivateKeyInfo.load(key_der),
        cert_registry=registry,
    )


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _binding(person_id: int) -> bytes:
    return f"person:{person_id}".encode()

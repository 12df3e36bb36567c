"""Signer keys: a PKCS#12 file opens only with its passphrase, a certificate signs only when in
date, allowed to sign documents and issued by a trusted root, and the file is sealed at rest."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers import SimpleSigner

from core.at_rest import AtRestCipher, SealedDataError
from records.signer_keys import (
    KEY_PURPOSE,
    check_certificate,
    open_key_file,
    read_pkcs12,
    seal_key_file,
)
from records.signing_errors import (
    CertificateExpiredError,
    CertificateNotTrustedError,
    KeyFileError,
    KeyUsageError,
    WrongPassphraseError,
)
from tests.records.pki import PASSPHRASE, SIGNING, issue, pkcs12_bytes, root_ca

NOW = datetime.now(UTC)


def test_reads_signer_and_certificate_info() -> None:
    issued = issue("Secretary One")
    signer, info = read_pkcs12(pkcs12_bytes(issued), PASSPHRASE)
    assert signer.signing_cert.dump() == issued.cert.public_bytes(serialization.Encoding.DER)
    assert info.common_name == "Secretary One"
    assert info.subject == "CN=Secretary One,O=Hop Test PKI,C=VN"
    assert info.issuer == "CN=Hop Test Root CA,O=Hop Test PKI,C=VN"
    assert info.serial == format(issued.cert.serial_number, "x")
    assert info.fingerprint == issued.cert.fingerprint(hashes.SHA256()).hex()
    assert info.not_before.tzinfo is not None
    assert info.not_before < NOW < info.not_after


def test_wrong_passphrase_is_refused() -> None:
    with pytest.raises(WrongPassphraseError):
        read_pkcs12(pkcs12_bytes(issue("Secretary One")), "not the passphrase")


@pytest.mark.parametrize(
    "data", [b"", b"garbage, not a key file", bytes(300 * 1024)], ids=["empty", "text", "too big"]
)
def test_not_a_key_file_is_refused(data: bytes) -> None:
    with pytest.raises(KeyFileError):
        read_pkcs12(data, PASSPHRASE)


def test_key_file_without_private_key_is_refused() -> None:
    data = pkcs12.serialize_key_and_certificates(
        name=b"no key",
        key=None,
        cert=issue("Secretary One").cert,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(PASSPHRASE.encode()),
    )
    with pytest.raises(KeyFileError):
        read_pkcs12(data, PASSPHRASE)


def signer_for(
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_usage: Sequence[str] | None = SIGNING,
) -> SimpleSigner:
    issued = issue(
        "Certificate Holder", not_before=not_before, not_after=not_after, key_usage=key_usage
    )
    return read_pkcs12(pkcs12_bytes(issued), PASSPHRASE)[0]


def test_good_certificate_passes() -> None:
    check_certificate(signer_for(), trust_roots=[root_ca().asn1], at=NOW)


def test_non_repudiation_alone_is_enough() -> None:
    signer = signer_for(key_usage=("non_repudiation",))
    check_certificate(signer, trust_roots=[root_ca().asn1], at=NOW)


@pytest.mark.parametrize(
    ("not_before", "not_after"),
    [(NOW - timedelta(days=400), NOW - timedelta(days=1)), (NOW + timedelta(days=1), None)],
    ids=["expired", "not yet valid"],
)
def test_out_of_date_certificate_is_refused(not_before: datetime, not_after: datetime) -> None:
    signer = signer_for(
        not_before=not_before, not_after=not_after or not_before + timedelta(days=365)
    )
    with pytest.raises(CertificateExpiredError):
        check_certificate(signer, trust_roots=[root_ca().asn1], at=NOW)


def test_certificate_checked_at_the_given_time() -> None:
    with pytest.raises(CertificateExpiredError):
        check_certificate(signer_for(), trust_roots=[root_ca().asn1], at=NOW + timedelta(days=800))


@pytest.mark.parametrize(
    "usage", [("key_encipherment",), None], ids=["encipherment only", "no key usage"]
)
def test_certificate_that_may_not_sign_documents_is_refused(
    usage: tuple[str, ...] | None,
) -> None:
    with pytest.raises(KeyUsageError):
        check_certificate(signer_for(key_usage=usage), trust_roots=[root_ca().asn1], at=NOW)


def test_certificate_from_another_ca_is_refused() -> None:
    other = root_ca("Some Other Root CA")
    signer = read_pkcs12(pkcs12_bytes(issue("Stranger", ca=other), chain=[other]), PASSPHRASE)[0]
    with pytest.raises(CertificateNotTrustedError):
        check_certificate(signer, trust_roots=[root_ca().asn1], at=NOW)


def test_empty_trust_store_trusts_nothing() -> None:
    with pytest.raises(CertificateNotTrustedError):
        check_certificate(signer_for(), trust_roots=[], at=NOW)


def test_sealed_key_file_round_trip_bound_to_its_person() -> None:
    issued = issue("Secretary One")
    data = pkcs12_bytes(issued)
    cipher = AtRestCipher.from_secret("a test secret key", purpose=KEY_PURPOSE)
    blob = seal_key_file(cipher, data, person_id=7)
    assert open_key_file(cipher, blob, person_id=7) == data
    assert data not in blob
    assert issued.key_der not in blob
    with pytest.raises(SealedDataError):
        open_key_file(cipher, blob, person_id=8)

"""PAdES signatures on a record: signers sign in turn and every signature stays valid, any change
after signing is reported, a local TSA time-stamps, and bad input fails with a domain error."""

import io
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import SimpleSigner
from reportlab.pdfgen import canvas

from records.pdf_signatures import (
    SignatureCheck,
    load_trust_roots,
    pdf_sha256,
    sign_pdf,
    verify_pdf,
)
from records.signer_keys import read_pkcs12
from records.signing_errors import (
    CertificateExpiredError,
    CertificateNotTrustedError,
    NotAPdfError,
    SigningFailedError,
)
from tests.records.pki import PASSPHRASE, issue, local_tsa, pkcs12_bytes, root_ca

TEXT = b"Minutes of the ward council meeting"


def minutes_pdf() -> bytes:
    """A one-page PDF whose text is stored uncompressed, so a test can find and change it."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pageCompression=0)
    page.drawString(72, 720, TEXT.decode())
    page.showPage()
    page.save()
    return out.getvalue()


def signer(name: str, **kwargs: datetime) -> SimpleSigner:
    return read_pkcs12(pkcs12_bytes(issue(name, **kwargs)), PASSPHRASE)[0]


def sign(pdf: bytes, who: SimpleSigner, field: str, **kwargs: str) -> bytes:
    return sign_pdf(
        pdf,
        who,
        field_name=field,
        reason="Approved as a true record",
        signer_name=field.split("-")[-1].title(),
        trust_roots=[root_ca().asn1],
        **kwargs,
    )


def verify(pdf: bytes) -> list[SignatureCheck]:
    return verify_pdf(pdf, trust_roots=[root_ca().asn1])


@pytest.fixture(scope="module")
def signed_once() -> bytes:
    return sign(minutes_pdf(), signer("Secretary One"), "Sig1-secretary")


@pytest.fixture(scope="module")
def signed_twice(signed_once: bytes) -> bytes:
    return sign(signed_once, signer("Chair Two"), "Sig2-chair")


def all_good(check: SignatureCheck) -> bool:
    return check.trusted and check.intact and check.valid and not check.changed_after


def test_one_signature_verifies(signed_once: bytes) -> None:
    [check] = verify(signed_once)
    assert all_good(check)
    assert check.field_name == "Sig1-secretary"
    assert check.signer_name == "Secretary"
    assert check.signer_subject == "CN=Secretary One,O=Hop Test PKI,C=VN"
    assert check.issuer == "CN=Hop Test Root CA,O=Hop Test PKI,C=VN"
    assert check.chain == [check.signer_subject, check.issuer]
    assert not check.timestamped
    assert check.signed_at is not None
    assert abs(check.signed_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert check.summary.startswith("INTACT:TRUSTED")


def test_second_signer_keeps_the_first_signature_valid(signed_twice: bytes) -> None:
    first, second = verify(signed_twice)
    assert (first.field_name, second.field_name) == ("Sig1-secretary", "Sig2-chair")
    assert all_good(first)
    assert all_good(second)
    assert second.signer_subject == "CN=Chair Two,O=Hop Test PKI,C=VN"


def test_signing_appends_an_incremental_pades_update(signed_once: bytes) -> None:
    original = minutes_pdf()
    signed = sign(original, signer("Secretary One"), "Sig1-secretary")
    assert signed.startswith(original)
    reader = PdfFileReader(io.BytesIO(signed))
    [embedded] = reader.embedded_regular_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert "/DSS" in reader.root  # validation data for long-term validation


def test_changed_byte_after_signing_is_reported(signed_twice: bytes) -> None:
    at = signed_twice.index(TEXT)
    tampered = signed_twice[:at] + b"N" + signed_twice[at + 1 :]
    checks = verify(tampered)
    assert len(checks) == 2
    assert all(not check.intact or check.changed_after for check in checks)
    assert not any(check.trusted and check.intact for check in checks)


def test_changed_signature_bytes_are_reported_not_crashed(signed_once: bytes) -> None:
    contents = signed_once.index(b"/Contents <") + len(b"/Contents <") + 200
    digit = b"0" if signed_once[contents : contents + 1] != b"0" else b"1"
    [check] = verify(signed_once[:contents] + digit + signed_once[contents + 1 :])
    assert not (check.intact and check.valid)


def append_annotation(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    note = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Text"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.NumberObject(n) for n in (10, 10, 50, 50)]
            ),
            generic.NameObject("/Contents"): generic.TextStringObject("Not approved"),
        }
    )
    page[generic.NameObject("/Annots")] = generic.ArrayObject([writer.add_object(note)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def append_page_content(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    forged = generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 700 Td (Forged line) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(forged))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "change",
    [append_annotation, append_page_content, lambda pdf: pdf + b"\n1 0 obj (hidden) endobj\n"],
    ids=["annotation", "page content", "uncovered tail"],
)
def test_update_appended_after_signing_is_reported(
    signed_twice: bytes, change: Callable[[bytes], bytes]
) -> None:
    checks = verify(change(signed_twice))
    assert len(checks) == 2
    assert all(check.intact and check.changed_after for check in checks)


def test_empty_trust_store_trusts_nothing(signed_once: bytes) -> None:
    [check] = verify_pdf(signed_once, trust_roots=[])
    assert not check.trusted
    assert check.intact
    assert check.chain == [check.signer_subject, check.issuer]  # from the embedded certificates


def test_unsigned_pdf_has_no_signatures() -> None:
    assert verify(minutes_pdf()) == []


@pytest.mark.parametrize(
    "data", [b"", b"garbage", b"%PDF-1.7\nnot really a pdf"], ids=["empty", "text", "header only"]
)
def test_not_a_pdf(data: bytes) -> None:
    with pytest.raises(NotAPdfError):
        verify(data)
    with pytest.raises(NotAPdfError):
        sign(data, signer("Secretary One"), "Sig1-secretary")


def test_truncated_signed_pdf_is_not_a_pdf(signed_once: bytes) -> None:
    with pytest.raises(NotAPdfError):
        verify(signed_once[: len(signed_once) // 2])


def test_refuses_to_sign_with_an_untrusted_certificate() -> None:
    other = root_ca("Some Other Root CA")
    stranger = read_pkcs12(pkcs12_bytes(issue("Stranger", ca=other), chain=[other]), PASSPHRASE)
    with pytest.raises(CertificateNotTrustedError):
        sign(minutes_pdf(), stranger[0], "Sig1-stranger")


def test_refuses_to_sign_with_an_expired_certificate() -> None:
    now = datetime.now(UTC)
    expired = signer(
        "Expired Signer", not_before=now - timedelta(days=30), not_after=now - timedelta(days=1)
    )
    with pytest.raises(CertificateExpiredError):
        sign(minutes_pdf(), expired, "Sig1-expired")


def test_field_name_already_signed_fails(signed_once: bytes) -> None:
    with pytest.raises(SigningFailedError):
        sign(signed_once, signer("Chair Two"), "Sig1-secretary")


def test_time_stamp_from_a_local_tsa(signed_once: bytes) -> None:
    with local_tsa() as url:
        stamped = sign(signed_once, signer("Chair Two"), "Sig2-chair", timestamp_url=url)
    first, second = verify(stamped)
    assert all_good(first)
    assert all_good(second)
    assert second.timestamped
    assert not first.timestamped
    assert second.signed_at is not None
    assert abs(second.signed_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert "TIMESTAMP_TOKEN<INTACT:TRUSTED>" in second.summary


def test_time_stamp_keeps_a_signature_trusted_after_its_certificate_expires(
    signed_once: bytes,
) -> None:
    with local_tsa() as url:
        stamped = sign(signed_once, signer("Chair Two"), "Sig2-chair", timestamp_url=url)
    later = datetime.now(UTC) + timedelta(days=500)  # both signers' certificates have expired
    unstamped, kept = verify_pdf(stamped, trust_roots=[root_ca().asn1], at=later)
    assert not unstamped.trusted
    assert all_good(kept)
    assert kept.signed_at is not None
    assert abs(kept.signed_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_unreachable_tsa_fails_with_a_reason() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(SigningFailedError, match="time-stamp"):
        sign(
            minutes_pdf(),
            signer("Secretary One"),
            "Sig1-secretary",
            timestamp_url=f"http://127.0.0.1:{port}/tsa",
        )


def test_load_trust_roots_from_files_and_folders(tmp_path: Path) -> None:
    first, second = root_ca(), root_ca("Some Other Root CA")
    pem = b"".join(ca.cert.public_bytes(serialization.Encoding.PEM) for ca in (first, second))
    (tmp_path / "both.pem").write_bytes(pem)
    (tmp_path / "one.der").write_bytes(first.cert.public_bytes(serialization.Encoding.DER))
    folder = tmp_path / "roots"
    folder.mkdir()
    (folder / "a.crt").write_bytes(first.cert.public_bytes(serialization.Encoding.PEM))
    (folder / "b.cer").write_bytes(second.cert.public_bytes(serialization.Encoding.DER))
    (folder / "notes.txt").write_text("not a certificate")
    roots = load_trust_roots([tmp_path / "both.pem", tmp_path / "one.der", folder])
    names = [root.subject.native["common_name"] for root in roots]
    assert names == [
        "Hop Test Root CA",
        "Some Other Root CA",
        "Hop Test Root CA",
        "Hop Test Root CA",
        "Some Other Root CA",
    ]


@pytest.mark.parametrize("content", [b"not a certificate", None], ids=["garbage", "missing"])
def test_unreadable_trust_root_names_the_path(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "root.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match="root.pem"):
        load_trust_roots([path])


def test_pdf_sha256() -> None:
    assert pdf_sha256(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

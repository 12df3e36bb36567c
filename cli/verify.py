"""`hop verify FILE`: check a signed poll result (JSON) or the signatures of a PDF, offline.

Exit 0 when everything checks out, 1 when a signature is invalid, untrusted or missing (or the
receipt asked about is not in the result), 2 when the file or the key cannot be read.
"""

import logging
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from web.settings import Settings, get_settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

KEY_PATH = "/.well-known/hop-result-key.pem"
MAX_KEY_BYTES = 64 * 1024
FETCH_TIMEOUT = 10.0


def register(parent: typer.Typer) -> None:
    """Add `hop verify` to the `hop` app."""
    parent.command("verify")(verify)


def verify(
    file: Annotated[Path, typer.Argument(help="A signed result (.json) or a signed PDF")],
    key: Annotated[
        Path | None, typer.Option(help="The server's result key (PEM); default: this server's")
    ] = None,
    server: Annotated[
        str | None, typer.Option(help="Fetch the result key from this Hop server (URL)")
    ] = None,
    receipt: Annotated[
        str | None, typer.Option(help="Check that this receipt is in a secret poll's result")
    ] = None,
    trust: Annotated[
        list[Path] | None,
        typer.Option(help="Trusted root certificates for PDFs (file or folder; repeatable)"),
    ] = None,
) -> None:
    """Check the signature of a poll result (JSON) or every signature of a PDF."""
    data = _read(file)
    if data.lstrip()[:5] == b"%PDF-" or file.suffix.lower() == ".pdf":
        raise typer.Exit(_verify_pdf(data, trust))
    raise typer.Exit(_verify_json(data, key=key, server=server, receipt=receipt))


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        _unreadable(f"cannot read {file}: {error.strerror or error}")


def _unreadable(message: str) -> NoReturn:
    typer.echo(f"hop verify: {message}", err=True)
    raise typer.Exit(2)


# Signed poll results


def _verify_json(data: bytes, *, key: Path | None, server: str | None, receipt: str | None) -> int:
    from records import result_signing

    try:
        document = result_signing.load_signed_result(data)
    except result_signing.NotASignedResultError as error:
        _unreadable(error.detail)
    public_key = _result_key(key=key, server=server)
    valid = result_signing.verify_signed_result(document, public_key)
    for label, value in _summary(document, result_signing.key_id(public_key)):
        typer.echo(f"{label + ':':<11} {value}")
    typer.echo(f"{'Signature:':<11} {'signature valid' if valid else 'INVALID'}")
    found = _check_receipt(document, receipt) if receipt is not None else True
    return 0 if valid and found else 1


def _summary(document: dict[str, Any], checking_key: str) -> list[tuple[str, str]]:
    poll, result = document["poll"], document["result"]
    ballot = "secret" if poll.get("secret") else "named"
    keys = str(document["key_id"])
    if keys != checking_key:
        keys += f" (checked with key {checking_key})"
    return [
        ("Poll", f"#{poll.get('id')} {poll.get('title')} ({poll.get('kind')}, {ballot})"),
        ("Meeting", f"#{poll.get('meeting_id')} {poll.get('meeting_title')}"),
        ("Verdict", str(result.get("verdict") or "(no verdict)")),
        ("Ballots", str(result.get("ballots", "?"))),
        ("Signed at", str(document["signed_at"])),
        ("Key", keys),
    ]


def _check_receipt(document: dict[str, Any], receipt: str) -> bool:
    from records.result_signing import receipt_in

    answer = receipt_in(document, receipt)
    if answer is None:
        typer.echo(f"{'Receipt:':<11} {receipt} is NOT in the signed list")
        return False
    typer.echo(f"{'Receipt:':<11} {receipt} is in the signed list, answer: {answer}")
    return True


def _result_key(*, key: Path | None, server: str | None) -> "Ed25519PublicKey":
    from records.result_signing import public_key_pem

    if key is not None:
        return _load_key(_read(key), str(key))
    if server is not None:
        return _load_key(_fetch_key(server), server)
    return _load_key(public_key_pem(_local_secret(get_settings())), "this server")


def _load_key(pem: bytes, source: str) -> "Ed25519PublicKey":
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        loaded = serialization.load_pem_public_key(pem)
    except ValueError:
        _unreadable(f"no PEM public key from {source}")
    if not isinstance(loaded, Ed25519PublicKey):
        _unreadable(f"the key from {source} is not an Ed25519 key")
    return loaded


def _fetch_key(server: str) -> bytes:
    url = server.rstrip("/") + KEY_PATH
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        _unreadable(f"not an http(s) address: {server}")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
            return bytes(response.read(MAX_KEY_BYTES))
    except (OSError, ValueError) as error:
        _unreadable(f"cannot fetch {url}: {error}")


def _local_secret(settings: Settings) -> str:
    # Reading the secret must not create one: a new secret would never verify anything.
    if settings.secret_key or (settings.data_dir / "secret_key").exists():
        return settings.resolved_secret_key
    _unreadable("this server has no secret key yet; give --key or --server")


# Signed PDFs


def _verify_pdf(data: bytes, trust: list[Path] | None) -> int:
    try:
        from records import pdf_signatures
    except ImportError:
        _unreadable("PDF signatures cannot be checked by this installation")
    from core.errors import HopError

    _quiet_pyhanko()
    try:
        roots = pdf_signatures.load_trust_roots(_trust_paths(trust))
        checks = pdf_signatures.verify_pdf(data, trust_roots=roots)
    except (HopError, ValueError) as error:
        _unreadable(getattr(error, "detail", None) or str(error))
    if not checks:
        typer.echo("The PDF has no signature.")
        return 1
    _print_table(checks)
    good = all(_sound(check) for check in checks)
    typer.echo(f"{len(checks)} signature(s): {'all valid' if good else 'NOT all valid'}.")
    return 0 if good else 1


def _quiet_pyhanko() -> None:
    # pyHanko logs an untrusted chain as a warning with a traceback; the table says it in a word.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).addHandler(logging.NullHandler())


def _trust_paths(given: list[Path] | None) -> list[Path]:
    return list(given) if given else list(get_settings().trust_roots)


def _sound(check: Any) -> bool:
    return bool(check.valid and check.intact and check.trusted and not check.changed_after)


def _print_table(checks: list[Any]) -> None:
    header = ("Field", "Signer", "Trusted", "Intact", "Changed after", "Time")
    rows = [header, *(_row(check) for check in checks)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())


def _row(check: Any) -> tuple[str, ...]:
    when = check.signed_at.isoformat(timespec="seconds") if check.signed_at else "-"
    if check.signed_at and check.timestamped:
        when += " (time-stamped)"
    valid = "" if check.valid else " (INVALID)"
    return (
        check.field_name,
        check.signer_name + valid,
        _yes(check.trusted),
        _yes(check.intact),
        _yes(check.changed_after),
        when,
    )


def _yes(value: bool) -> str:
    return "yes" if value else "no"

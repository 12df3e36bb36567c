"""`hop verify-poll BOARD.json`: re-check an encrypted poll's public board (hop-eb-v1), offline.

Written against docs/ENCRYPTED_BALLOTS.md only (§15.6), never against the server's classes.
Exit 0 when every check passed (a board that ends early is a valid prefix: the stage says how
far it got) and every --code asked about is on it, 1 when a check fails (naming the first
failing entry and why), a code is missing, or --key is given and the board's signature (§5.4)
is absent, invalid or covers another board; 2 when the file cannot be read as a board or the
key as an Ed25519 public key.
"""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from cli.eb_verify.report import Report

MAX_BOARD_BYTES = 256 * 1024 * 1024  # a 1,000-ballot board is a few MB; refuse absurd files
MAX_KEY_BYTES = 64 * 1024  # a PEM public key is about 113 bytes


def register(parent: typer.Typer) -> None:
    """Add `hop verify-poll` to the `hop` app."""
    parent.command("verify-poll")(verify_poll)


def verify_poll(
    board: Annotated[Path, typer.Argument(help="The poll's board (JSON), as downloaded")],
    code: Annotated[
        list[str] | None,
        typer.Option(help="A voter's tracking code (hex or XXXX-XXXX-XXXX-XXXX; repeatable)"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable report")
    ] = False,
    key: Annotated[
        Path | None,
        typer.Option(
            help="The server's public key (PEM, /.well-known/hop-result-key.pem): "
            "check the board's signature and require it"
        ),
    ] = None,
) -> None:
    """Re-check an encrypted poll's board: chain, keys, every proof, the sums and the result."""
    from cli.eb_verify import codes  # loaded here: other `hop` commands need no libsodium

    report = check_file(board, read_key(key) if key is not None else None)
    found = [(given, codes.find(given, report.codes)) for given in code or []]
    if as_json:
        document = {**report.as_json(), "codes": [_code_json(g, hit) for g, hit in found]}
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        for line in report.lines() + [_code_line(g, hit) for g, hit in found]:
            typer.echo(line)
    raise typer.Exit(0 if report.valid and all(hit for _, hit in found) else 1)


def read_key(path: Path) -> "Ed25519PublicKey":
    """The Ed25519 public key in a PEM file; exits 2 when it cannot be read as one."""
    from cli.eb_verify.errors import Unreadable
    from cli.eb_verify.signature import load_key

    try:
        if path.stat().st_size > MAX_KEY_BYTES:
            _unreadable(f"{path} is larger than {MAX_KEY_BYTES} bytes")
        return load_key(path.read_bytes())
    except OSError as error:
        _unreadable(f"cannot read {path}: {error.strerror or error}")
    except Unreadable as error:
        _unreadable(f"{path}: {error}")


def check_file(path: Path, key: "Ed25519PublicKey | None" = None) -> "Report":
    """The report on one board file; exits 2 when it is not a readable board."""
    from cli.eb_verify.board import verify_board
    from cli.eb_verify.canon import NotJson, load
    from cli.eb_verify.errors import Unreadable

    try:
        if path.stat().st_size > MAX_BOARD_BYTES:
            _unreadable(f"{path} is larger than {MAX_BOARD_BYTES} bytes")
        data = path.read_bytes()
    except OSError as error:
        _unreadable(f"cannot read {path}: {error.strerror or error}")
    try:
        return verify_board(load(data), key)
    except (NotJson, Unreadable) as error:
        _unreadable(f"{path}: {error}")


def _code_line(given: str, hit: tuple[str, str] | None) -> str:
    from cli.eb_verify.codes import displayed

    if hit is None:
        return f"{'Code:':<15}{given} is NOT on the board"
    what = "a cast ballot" if hit[1] == "cast" else "a spoiled (revealed) ballot, not counted"
    return f"{'Code:':<15}{displayed(hit[0])} is {what}: {hit[0]}"


def _code_json(given: str, hit: tuple[str, str] | None) -> dict[str, Any]:
    return {"given": given, "tracking_code": hit and hit[0], "found": hit and hit[1]}


def _unreadable(message: str) -> NoReturn:
    typer.echo(f"hop verify-poll: {message}", err=True)
    raise typer.Exit(2)

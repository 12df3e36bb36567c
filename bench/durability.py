"""Durability benchmark: ballots survive a server killed with SIGKILL in the middle of a burst.

    .venv/bin/python -m bench.durability [--kills 20] [--voters 1000] [--db sqlite|postgresql|both]
                                         [--encrypted]

For each database: a fresh migrated database (SQLite in a temporary folder, WAL with ballots
committed at synchronous=FULL; PostgreSQL in a database of its own, `hop_durability`, created
and dropped here so that tests running on the `test` database are not disturbed), N delegates
invited with a voting right, checked in and logged in. Then, per kill point: a new open named
poll; every delegate casts one ballot over HTTP (POST /api/polls/{id}/ballots, many concurrent
clients); when a random share of the ballots (5 %-95 %) has been acknowledged the server
process is killed with SIGKILL; it is restarted and every ballot, acknowledged or not, is sent
again with its nonce; the chair closes the poll through the API. Checked per kill point:
- lost: acknowledged before the kill, not stored after the restart (before any resend);
- double: a voter with more than one ballot, at the end;
- ack_changed: a resend of an acknowledged ballot answered with another acknowledgement;
- resend_failed: a resend not acknowledged;
- tally_ok: the closing result counts exactly the stored ballots, which are everyone's.
With --encrypted, each kill point's poll is an encrypted secret yes/no poll (hop-eb-v1) whose
key three of the delegates' devices set up (bench._encrypted), every ballot encrypted in
advance and sent to POST /api/polls/{id}/encrypted-ballots; "stored" is the voter's who-voted
mark with the nonce's hash and the ballot's tracking code on the board; the tally is the
trustees' decryption of the sums (two of three), and the board must pass the independent
verifier (cli.eb_verify).
A table, then as the last line one JSON object. Traffic goes to 127.0.0.1 only.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx

from bench._servers import Server, free_port, fresh_database, hop_env

PG_URL = "postgresql://postgres@127.0.0.1:5432/hop_durability"
CSRF = "durability-csrf-token-0123456789"
CHOICES = ("yes", "no", "abstain")
CONCURRENCY = 64
REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class Crowd:
    """The prepared database: the meeting, the chair's login, and each voter's login."""

    database_url: str
    meeting_id: int
    first_poll_id: int
    clerk_token: str
    voters: list[tuple[int, str]]


@dataclass(frozen=True)
class Cast:
    voter_id: int
    token: str
    choice: str
    nonce: str
    ballot: dict[str, Any] | None = None  # the encrypted ballot of an encrypted poll


@dataclass(frozen=True)
class EncryptedPoll:
    """An open encrypted poll: its trustees' devices (for the decryption) and every voter's
    ballot, encrypted in advance, by voter id."""

    poll_id: int
    devices: list[Any]
    trustee_ids: list[int]
    ballots: dict[int, dict[str, Any]]
    choices: dict[int, str]


@dataclass
class KillPoint:
    """What one kill point measured."""

    poll_id: int
    kill_after: int
    acked: int = 0
    stored_before_resend: int = 0
    lost: int = 0
    double: int = 0
    ack_changed: int = 0
    resend_failed: int = 0
    tally_ok: bool = False
    restart_s: float = 0.0
    errors: list[str] = field(default_factory=list)


def prepare(database_url: str, voters: int) -> Crowd:
    """Migrate; a clerk, a meeting, N checked-in delegates with sessions (see bench.voting)."""
    from sqlmodel import select

    from bench import voting
    from models import Person
    from models.db import make_engine, open_session
    from web.auth import start_session

    scene = voting.prepare(database_url, voters)
    engine = make_engine(database_url)
    try:
        with open_session(engine) as session:
            clerk = session.exec(select(Person).where(Person.username == "bench_clerk")).one()
            token = start_session(session, person=clerk, hours=12)
    finally:
        engine.dispose()
    return Crowd(database_url, scene.meeting_id, scene.poll_id, token, scene.voters)


def open_new_poll(crowd: Crowd) -> int:
    """Another open named yes/no/abstain poll in the meeting (the previous one is closed)."""
    from sqlmodel import select

    from models import Meeting, Person, PollCreate
    from models.db import make_engine, open_session
    from voting import polls

    engine = make_engine(crowd.database_url)
    try:
        with open_session(engine) as session:
            clerk = session.exec(select(Person).where(Person.username == "bench_clerk")).one()
            meeting = session.get(Meeting, crowd.meeting_id)
            assert meeting is not None
            data = PollCreate(title=f"Nghị quyết {uuid.uuid4().hex[:6]}", quorum_fraction="1/2")
            poll = polls.create_poll(session=session, meeting=meeting, data=data, creator=clerk)
            polls.open_poll(session=session, poll=poll)
            assert poll.id is not None
            return poll.id
    finally:
        engine.dispose()


def open_encrypted_poll(crowd: Crowd, previous_poll_id: int, rng: random.Random) -> EncryptedPoll:
    """Close the previous poll, open an encrypted one whose committee is the first three
    voters, and encrypt every voter's answer as a tablet would."""
    from sqlmodel import select

    from bench._encrypted import TRUSTEES, encrypt_all
    from bench._encrypted import open_encrypted_poll as open_with_committee
    from models import Meeting, Person, Poll, PollStatus
    from models.db import make_engine, open_session
    from voting import polls

    engine = make_engine(crowd.database_url)
    try:
        with open_session(engine) as session:
            previous = session.get(Poll, previous_poll_id)
            if previous is not None and previous.status == PollStatus.open:
                polls.close_poll(session=session, poll=previous)
            clerk = session.exec(select(Person).where(Person.username == "bench_clerk")).one()
            meeting = session.get(Meeting, crowd.meeting_id)
            trustee_ids = [voter_id for voter_id, _ in crowd.voters[:TRUSTEES]]
            trustees = [session.get(Person, person_id) for person_id in trustee_ids]
            poll, devices = open_with_committee(session, meeting, clerk, trustees)
            choices = {voter_id: rng.choice(CHOICES) for voter_id, _ in crowd.voters}
            ballots = encrypt_all(session, poll.id, choices)
            return EncryptedPoll(poll.id, devices, trustee_ids, ballots, choices)
    finally:
        engine.dispose()


def encrypted_marks(database_url: str, poll_id: int) -> tuple[dict[int, list[str]], list[str]]:
    """Per voter, the nonce hashes of their who-voted marks; and every stored tracking code."""
    from sqlmodel import select

    from models import EncryptedBallot, SecretVoter
    from models.db import make_engine, open_session

    engine = make_engine(database_url)
    marks: dict[int, list[str]] = {}
    try:
        with open_session(engine) as session:
            for mark in session.exec(select(SecretVoter).where(SecretVoter.poll_id == poll_id)):
                marks.setdefault(mark.voter_id, []).append(mark.nonce_hash)
            codes = list(
                session.exec(
                    select(EncryptedBallot.tracking_code).where(EncryptedBallot.poll_id == poll_id)
                )
            )
    finally:
        engine.dispose()
    return marks, codes


def stored_ballots(database_url: str, poll_id: int) -> dict[int, list[tuple[str, set[str]]]]:
    """Per voter, each stored ballot's choice and the hashes of the nonces it was cast with."""
    from sqlmodel import select

    from models import Ballot
    from models.db import make_engine, open_session

    engine = make_engine(database_url)
    rows: dict[int, list[tuple[str, set[str]]]] = {}
    try:
        with open_session(engine) as session:
            for ballot in session.exec(select(Ballot).where(Ballot.poll_id == poll_id)):
                entry = (_named_choice(ballot.choice), set(ballot.nonces))
                rows.setdefault(ballot.voter_id, []).append(entry)
    finally:
        engine.dispose()
    return rows


def _named_choice(stored: dict[str, Any]) -> str:
    """The cast choice back from its stored form ({"options": [...], "abstain": ...})."""
    options = stored.get("options") or []
    return "abstain" if stored.get("abstain") else str(options[0] if options else None)


def poll_salt(database_url: str, poll_id: int) -> str:
    from models import Poll
    from models.db import make_engine, open_session

    engine = make_engine(database_url)
    try:
        with open_session(engine) as session:
            poll = session.get(Poll, poll_id)
            assert poll is not None
            return poll.salt
    finally:
        engine.dispose()


# The server ----------------------------------------------------------------------------------


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    # The burst and its resend are two ballots per voter and poll: far below the limit, but
    # the bench measures durability, not throttling.
    return hop_env(database_url, data_dir, HOP_BALLOT_RATE="1000/10")


def kill(server: Server) -> None:
    """SIGKILL without waiting: the burst goes on failing against a dead port meanwhile."""
    if server.process is not None and server.process.poll() is None:
        os.kill(server.pid, signal.SIGKILL)


# Clients -------------------------------------------------------------------------------------


def _headers(token: str) -> dict[str, str]:
    return {"cookie": f"hop_session={token}; hop_csrf={CSRF}", "x-csrf-token": CSRF}


async def _send(client: httpx.AsyncClient, poll_id: int, cast: Cast) -> dict[str, Any] | str:
    """The acknowledgement, or what went wrong."""
    body: dict[str, Any]
    if cast.ballot is None:
        path, body = "ballots", {"choice": cast.choice, "nonce": cast.nonce}
    else:
        path, body = "encrypted-ballots", {"ballot": cast.ballot, "nonce": cast.nonce}
    try:
        response = await client.post(
            f"/api/polls/{poll_id}/{path}", json=body, headers=_headers(cast.token)
        )
    except httpx.HTTPError as error:
        return type(error).__name__
    if response.status_code != 200:
        return f"{response.status_code} {response.text[:80]}"
    ack: dict[str, Any] = response.json()
    return ack


async def send_all(
    base_url: str,
    poll_id: int,
    casts: list[Cast],
    *,
    stop_after: int | None = None,
    server: Server | None = None,
) -> dict[str, dict[str, Any] | str]:
    """Send every cast from CONCURRENCY clients; per nonce the ack or the error. With
    stop_after, the server is killed as soon as that many acks are in, and sending stops."""
    answers: dict[str, dict[str, Any] | str] = {}
    pending = iter(casts)
    acked = 0
    killed = False
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT
    ) as client:

        async def worker() -> None:
            nonlocal acked, killed
            for cast in pending:
                if killed:
                    return
                answer = await _send(client, poll_id, cast)
                answers[cast.nonce] = answer
                if isinstance(answer, dict):
                    acked += 1
                if stop_after is not None and acked >= stop_after and not killed:
                    killed = True
                    assert server is not None
                    kill(server)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return answers


async def close_poll(base_url: str, poll_id: int, clerk_token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        response = await client.post(f"/api/polls/{poll_id}/close", headers=_headers(clerk_token))
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


# One kill point ------------------------------------------------------------------------------


def make_casts(
    crowd: Crowd, rng: random.Random, encrypted: EncryptedPoll | None = None
) -> list[Cast]:
    if encrypted is None:
        casts = [
            Cast(voter_id, token, rng.choice(CHOICES), uuid.uuid4().hex)
            for voter_id, token in crowd.voters
        ]
    else:
        casts = [
            Cast(
                voter_id,
                token,
                encrypted.choices[voter_id],
                uuid.uuid4().hex,
                encrypted.ballots[voter_id],
            )
            for voter_id, token in crowd.voters
        ]
    rng.shuffle(casts)
    return casts


def run_kill_point(
    server: Server,
    crowd: Crowd,
    poll_id: int,
    rng: random.Random,
    encrypted: EncryptedPoll | None = None,
) -> KillPoint:
    """Burst, kill, restart, check what was stored, resend everything, check, close."""
    casts = make_casts(crowd, rng, encrypted)
    total = len(casts)
    point = KillPoint(
        poll_id, kill_after=rng.randint(max(1, total // 20), max(1, total * 19 // 20))
    )
    first = asyncio.run(
        send_all(server.url, poll_id, casts, stop_after=point.kill_after, server=server)
    )
    kill(server)  # in case the burst failed before reaching the kill point
    assert server.process is not None
    server.process.wait(timeout=10)
    acks = {nonce: ack for nonce, ack in first.items() if isinstance(ack, dict)}
    point.acked = len(acks)
    began = time.monotonic()
    server.start()
    server.wait_ready()
    point.restart_s = time.monotonic() - began
    if encrypted is None:
        _check_stored(point, crowd, casts, acks)
    else:
        _check_stored_encrypted(point, crowd, casts, acks)
    second = asyncio.run(send_all(server.url, poll_id, casts))
    _check_resends(point, casts, acks, second)
    if encrypted is None:
        result = asyncio.run(close_poll(server.url, poll_id, crowd.clerk_token))
        _check_final(point, crowd, casts, result)
    else:
        _check_final_encrypted(point, crowd, casts, encrypted)
    return point


def _check_stored(
    point: KillPoint, crowd: Crowd, casts: list[Cast], acks: dict[str, dict[str, Any]]
) -> None:
    from voting.secrecy import nonce_hash

    salt = poll_salt(crowd.database_url, point.poll_id)
    stored = stored_ballots(crowd.database_url, point.poll_id)
    point.stored_before_resend = sum(len(rows) for rows in stored.values())
    for cast in casts:
        if cast.nonce not in acks:
            continue
        hashed = nonce_hash(salt=salt, voter_id=cast.voter_id, nonce=cast.nonce)
        rows = stored.get(cast.voter_id, [])
        if not any(hashed in nonces and choice == cast.choice for choice, nonces in rows):
            point.lost += 1


def _check_stored_encrypted(
    point: KillPoint, crowd: Crowd, casts: list[Cast], acks: dict[str, dict[str, Any]]
) -> None:
    """An acknowledged encrypted cast is stored when its voter's mark holds its nonce's hash
    and its tracking code is on the board."""
    from voting.secrecy import nonce_hash

    salt = poll_salt(crowd.database_url, point.poll_id)
    marks, codes = encrypted_marks(crowd.database_url, point.poll_id)
    point.stored_before_resend = len(codes)
    stored_codes = set(codes)
    for cast in casts:
        if cast.nonce not in acks or cast.ballot is None:
            continue
        hashed = nonce_hash(salt=salt, voter_id=cast.voter_id, nonce=cast.nonce)
        if hashed not in marks.get(cast.voter_id, []):
            point.lost += 1
        elif cast.ballot["tracking_code"] not in stored_codes:
            point.lost += 1


def _check_final_encrypted(
    point: KillPoint, crowd: Crowd, casts: list[Cast], encrypted: EncryptedPoll
) -> None:
    """Close, two trustees decrypt, the result counts everyone's choice once, the verifier
    accepts the board (bench._encrypted)."""
    from bench._encrypted import check_and_tally, tally_ok

    marks, codes = encrypted_marks(crowd.database_url, point.poll_id)
    point.double = sum(len(rows) - 1 for rows in marks.values()) + max(0, len(codes) - len(marks))
    figures = check_and_tally(
        crowd.database_url, point.poll_id, encrypted.devices, encrypted.trustee_ids
    )
    expected = Counter(dict.fromkeys(CHOICES, 0))
    expected.update(cast.choice for cast in casts)
    everyone = {cast.voter_id for cast in casts} == set(marks)
    counted = tally_ok(figures["result"], dict(expected), figures["stored"])
    point.tally_ok = everyone and counted and figures["verified"]


def _check_resends(
    point: KillPoint,
    casts: list[Cast],
    acks: dict[str, dict[str, Any]],
    second: dict[str, dict[str, Any] | str],
) -> None:
    for cast in casts:
        answer = second.get(cast.nonce, "not sent")
        if not isinstance(answer, dict):
            point.resend_failed += 1
            if len(point.errors) < 5:
                point.errors.append(answer)
        elif cast.nonce in acks and answer != acks[cast.nonce]:
            point.ack_changed += 1


def _check_final(point: KillPoint, crowd: Crowd, casts: list[Cast], result: dict[str, Any]) -> None:
    stored = stored_ballots(crowd.database_url, point.poll_id)
    point.double = sum(len(rows) - 1 for rows in stored.values() if len(rows) > 1)
    expected = Counter(dict.fromkeys(CHOICES, 0))
    expected.update(rows[0][0] for rows in stored.values())
    counted = Counter({option["id"]: option["votes"] for option in result["options"]})
    counted["abstain"] = result["abstentions"]
    everyone = {cast.voter_id for cast in casts} == set(stored)
    point.tally_ok = everyone and counted == expected and result["ballots"] == len(stored)


# Running it ----------------------------------------------------------------------------------


def run_database(
    kind: str,
    *,
    kills: int,
    voters: int,
    seed: int | None = None,
    pg_url: str = PG_URL,
    encrypted: bool = False,
) -> dict[str, Any]:
    """Every kill point on one database; the summary row and the kill points."""
    rng = random.Random(seed)
    with (
        tempfile.TemporaryDirectory(prefix="hop-bench-durability-") as folder,
        fresh_database(kind, Path(folder), pg_url) as url,
    ):
        workdir = Path(folder)
        crowd = prepare(url, voters)
        server = Server(server_env(url, workdir / "var"), free_port(), workdir / "server.log")
        server.start()
        points: list[KillPoint] = []
        try:
            server.wait_ready()
            poll_id = crowd.first_poll_id
            for n in range(kills):
                if encrypted:
                    secret = open_encrypted_poll(crowd, poll_id, rng)
                    poll_id = secret.poll_id
                    points.append(run_kill_point(server, crowd, poll_id, rng, secret))
                    continue
                poll_id = crowd.first_poll_id if n == 0 else open_new_poll(crowd)
                points.append(run_kill_point(server, crowd, poll_id, rng))
                print(f"  {kind} kill {n + 1}/{kills}: {points[-1]}", file=sys.stderr, flush=True)
        finally:
            server.stop()
    return summarise(voters, points)


def summarise(voters: int, points: list[KillPoint]) -> dict[str, Any]:
    def total(name: str) -> int:
        return sum(int(getattr(point, name)) for point in points)

    restarts = sorted(point.restart_s for point in points)
    return {
        "kills": len(points),
        "voters": voters,
        "acked": total("acked"),
        "lost": total("lost"),
        "double": total("double"),
        "ack_changed": total("ack_changed"),
        "resend_failed": total("resend_failed"),
        "tally_ok": total("tally_ok"),
        "restart_s": round(restarts[len(restarts) // 2], 2) if restarts else None,
        "errors": sorted({error for point in points for error in point.errors})[:5],
    }


COLUMNS = ("kills", "voters", "acked", "lost", "double", "ack_changed", "resend_failed")


def table(results: dict[str, dict[str, Any]]) -> str:
    header = f"{'database':<11}" + "".join(f"{name:>14}" for name in COLUMNS)
    lines = [header + f"{'tally ok':>10}{'restart s':>11}"]
    for kind, row in results.items():
        cells = "".join(f"{row[name]:>14}" for name in COLUMNS)
        lines.append(
            f"{kind:<11}{cells}{row['tally_ok']:>6}/{row['kills']:<3}{row['restart_s']:>11}"
        )
        if row["errors"]:
            lines.append(f"  resend errors: {', '.join(row['errors'])}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.durability", description=__doc__)
    parser.add_argument("--kills", type=int, default=20, help="kill points per database")
    parser.add_argument("--voters", type=int, default=1000, help="ballots per burst")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=None, help="for repeatable kill points")
    parser.add_argument(
        "--encrypted", action="store_true", help="encrypted secret polls (hop-eb-v1) instead"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        print(f"{kind}: {args.kills} kills × {args.voters} ballots…", file=sys.stderr, flush=True)
        results[kind] = run_database(
            kind, kills=args.kills, voters=args.voters, seed=args.seed, encrypted=args.encrypted
        )
    print(table(results))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

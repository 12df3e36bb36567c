"""/metrics: Prometheus' text format with Hop's names, route templates as labels, and only for
the allowed addresses or the bearer of the metrics token."""

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from core.errors import InvalidInputError, ServiceBusyError
from tests.factories import ORIGIN, Room, login, nonce, receive_until
from web import metrics
from web.metrics_route import address_allowed
from web.realtime.kiosk import KioskConnection
from web.settings import Settings

TOKEN = "metrics-token-for-the-tests-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"metrics_token": TOKEN})


@pytest.fixture
def loopback(app: FastAPI) -> Iterator[TestClient]:
    """A client the server sees at 127.0.0.1 (the default allowed address)."""
    with TestClient(app, client=("127.0.0.1", 40000)) as test_client:
        yield test_client


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels."""
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def names(samples: dict[Any, float]) -> set[str]:
    return {name for name, _ in samples}


def test_refused_without_the_token_from_elsewhere(client: TestClient) -> None:
    missing = client.get("/metrics")  # the test client's address is not an allowed one
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["error"] == "NotAuthenticatedError"
    assert missing.json()["message"].startswith("Số liệu giám sát cần mã")  # Vietnamese
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    assert wrong.json()["detail"] == "The metrics token is wrong"
    for refused in (missing, wrong):
        assert "hop_" not in refused.text
    assert "hop_http_request_seconds" in client.get("/metrics", headers=BEARER).text


def test_without_a_token_only_the_allowed_addresses_read_them(
    settings: Settings, loopback: TestClient
) -> None:
    assert loopback.get("/metrics").status_code == 200  # loopback needs no token
    other = settings.model_copy(update={"metrics_token": "", "metrics_allow": ["10.0.0.0/8"]})
    from web.app import create_app

    with TestClient(create_app(other), client=("192.168.1.20", 40000)) as outsider:
        refused = outsider.get("/metrics", headers=BEARER)
        assert refused.status_code == 403
        assert "HOP_METRICS_ALLOW" in refused.json()["detail"]
        assert "hop_" not in refused.text
    with TestClient(create_app(other), client=("10.1.2.3", 40000)) as insider:
        assert insider.get("/metrics").status_code == 200


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("address", "allowed", "expected"),
    [
        ("127.0.0.1", ["127.0.0.0/8", "::1/128"], True),
        ("::1", ["127.0.0.0/8", "::1/128"], True),
        ("::ffff:127.0.0.1", ["127.0.0.0/8"], True),  # IPv4 through an IPv6 socket
        ("10.0.0.7", ["127.0.0.0/8"], False),
        ("10.0.0.7", ["10.0.0.7"], True),
        ("testclient", ["127.0.0.0/8"], False),
        ("", ["127.0.0.0/8"], False),
    ],
)
def test_allowed_addresses(address: str, allowed: list[str], expected: bool) -> None:
    assert address_allowed(address, allowed) is expected


@pytest.mark.nodb
def test_bad_metrics_settings_are_refused_at_start() -> None:
    with pytest.raises(ValueError, match="HOP_METRICS_ALLOW"):
        Settings(metrics_allow=["not-a-network"], _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="HOP_METRICS_TOKEN"):
        Settings(metrics_token="short", _env_file=None)  # type: ignore[call-arg]


def test_route_label_is_the_template_never_the_url(client: TestClient, room: Room) -> None:
    login(client, room.clerk)
    assert client.get(f"/api/meetings/{room.meeting.id}").status_code == 200
    client.get("/no/such/page/123456")
    samples = scrape(client)
    template = {"route": "/api/meetings/{meeting_id}", "method": "GET", "status": "2xx"}
    assert value(samples, "hop_http_request_seconds_count", **template) >= 1
    routes = {dict(labels).get("route") for name, labels in samples if name.startswith("hop_http")}
    assert "unmatched" in routes
    assert not any(
        route and ("123456" in route or str(room.meeting.id) in route) for route in routes
    )


def test_names_after_a_request_a_socket_and_a_ballot(client: TestClient, room: Room) -> None:
    before = scrape(client)
    meeting = str(room.meeting.id)
    login(client, room.chair)
    poll_id = client.post(
        f"/api/meetings/{room.meeting.id}/polls", json={"title": "Thông qua"}
    ).json()["id"]
    assert client.post(f"/api/polls/{poll_id}/open").status_code == 200
    with client.websocket_connect(f"/ws/meetings/{room.meeting.id}", headers=ORIGIN) as ws:
        receive_until(ws, "snapshot")
        during = scrape(client)
        assert value(during, "hop_ws_open_sockets", meeting=meeting) == 1
        ws.send_json({"type": "ballot", "poll_id": poll_id, "choice": "yes", "nonce": nonce()})
        seen: list[dict[str, Any]] = []
        receive_until(ws, "ballot.ack", seen)
        # Delivered to this socket (the chair's sees the managers' trigger), before the
        # acknowledgement or, through Redis fan-out, after it.
        if not any(message["type"] == "poll.ballot" for message in seen):
            receive_until(ws, "poll.ballot")
    after = scrape(client)
    assert value(after, "hop_ws_open_sockets", meeting=meeting) == 0
    for name in (
        "hop_ballots_accepted_total",
        "hop_ballot_write_seconds_count",
        "hop_events_published_total",
        "hop_events_delivered_total",
    ):
        assert value(after, name) > value(before, name), name
    assert value(after, "hop_db_pool_size") > 0
    assert {
        "hop_ws_slow_clients_cut_total",
        "hop_ballots_refused_total",
        "hop_db_pool_checked_out",
        "hop_db_pool_overflow",
        "process_cpu_seconds_total",
    } <= names(after)


@pytest.mark.nodb
def test_face_jobs_are_timed_and_counted_by_outcome() -> None:
    async def answer(result: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        return result

    def count(outcome: str) -> float:
        return metrics.FACE_JOBS.labels("test", outcome)._value.get()

    before = {outcome: count(outcome) for outcome in ("ok", "busy", "refused")}
    timed = metrics.FACE_JOB_SECONDS.labels("test")._sum.get()
    assert asyncio.run(metrics.face_job("test", answer(42))) == 42
    for error in (ServiceBusyError("busy"), InvalidInputError("no face")):
        with pytest.raises(type(error)):
            asyncio.run(metrics.face_job("test", answer(error)))
    for outcome in ("ok", "busy", "refused"):
        assert count(outcome) == before[outcome] + 1, outcome
    assert metrics.FACE_JOB_SECONDS.labels("test")._sum.get() >= timed


@pytest.mark.nodb
def test_a_replaced_kiosk_frame_is_counted_as_dropped() -> None:
    dropped = metrics.KIOSK_FRAMES_DROPPED.labels("replaced")
    before = dropped._value.get()
    kiosk = SimpleNamespace(pending=None, replaced=0, ready=asyncio.Event())
    KioskConnection._offer_frame(kiosk, b"first")  # type: ignore[arg-type]
    KioskConnection._offer_frame(kiosk, b"second")  # type: ignore[arg-type]
    assert kiosk.pending == b"second"
    assert dropped._value.get() == before + 1

"""/healthz (alive, nothing else) and /readyz (database, Redis when set, face pool, draining);
the drain's order of things on a hub; the probes bypass the request concurrency limit."""

import asyncio
import time

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from web.drain import Drain
from web.hub import RECONNECT, Client, Hub
from web.limits import UNLIMITED_PATHS
from web.settings import Settings
from web.state import AppState


def hop_state(client: TestClient) -> AppState:
    state: AppState = client.app.state.hop  # type: ignore[attr-defined]
    return state


def test_ready_names_each_check(client: TestClient, settings: Settings) -> None:
    answer = client.get("/readyz")
    deadline = time.monotonic() + 10
    while answer.status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.05)  # with Redis: ready once the hub's subscriber listens
        answer = client.get("/readyz")
    assert answer.status_code == 200
    redis = "ok" if settings.redis_url else "off"  # the PostgreSQL pass runs on Redis too
    assert answer.json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": redis, "faces": "ok"},
    }


def test_alive_asks_no_database_while_ready_says_which_check_failed(client: TestClient) -> None:
    state = hop_state(client)
    working = state.engine
    state.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        assert client.get("/healthz").json() == {"status": "ok"}
        answer = client.get("/readyz")
    finally:
        state.engine.dispose()
        state.engine = working
    assert answer.status_code == 503
    assert answer.json()["status"] == "unready"
    assert answer.json()["checks"]["database"] == "failed"
    assert answer.json()["checks"]["faces"] == "ok"


def test_a_closed_face_pool_is_not_ready(client: TestClient) -> None:
    faces = hop_state(client).faces
    assert faces is not None
    faces.pool.close()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["faces"] == "failed"


def test_draining_is_not_ready_but_alive(client: TestClient) -> None:
    drain = hop_state(client).drain
    assert drain is not None
    drain.draining = True
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").json() == {"status": "draining"}
    assert client.get("/healthz").status_code == 200


def test_unreachable_redis_is_not_ready(settings: Settings) -> None:
    from web.app import create_app

    settings.redis_url = "redis://127.0.0.1:1/0"
    with TestClient(create_app(settings)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["redis"] == "failed"
    assert answer.json()["checks"]["database"] == "ok"


def test_probes_skip_the_request_limit() -> None:
    assert UNLIMITED_PATHS == {"/healthz", "/readyz"}


def test_drain_tells_every_client_then_stops_once_they_are_gone() -> None:
    async def scenario() -> list[str]:
        steps: list[str] = []
        hub = Hub()
        client = Client(meeting_id=1, is_manager=False)
        hub.join(client)
        drain = Drain(hub, delay=0.05, settle=5)
        drain.begin(lambda: steps.append("stopped"))
        assert drain.draining
        assert await client.queue.get() is RECONNECT
        steps.append("told")
        late = Client(meeting_id=2, is_manager=False)
        hub.join(late)  # a socket opened while draining is sent elsewhere too
        assert late.queue.get_nowait() is RECONNECT
        hub.leave(late)
        await asyncio.sleep(0.2)
        assert steps == ["told"]  # a client still open holds the stop back
        hub.leave(client)
        await asyncio.sleep(0.2)
        return steps

    assert asyncio.run(scenario()) == ["told", "stopped"]


def test_drain_stops_anyway_after_the_settle_time() -> None:
    async def scenario() -> bool:
        stopped = asyncio.Event()
        hub = Hub()
        hub.join(Client(meeting_id=1, is_manager=False))
        Drain(hub, delay=0, settle=0.1).begin(stopped.set)
        await asyncio.wait_for(stopped.wait(), 2)
        return stopped.is_set()

    assert asyncio.run(scenario())

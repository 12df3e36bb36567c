"""A burst of requests larger than the connection pool is served, not stalled."""

import asyncio

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.db import POOL_OVERFLOW, POOL_SIZE
from tests.factories import PASSWORD, make_person


def test_a_burst_beyond_the_pool_is_answered(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    person = make_person(session)
    burst = 4 * (POOL_SIZE + POOL_OVERFLOW)

    async def scenario() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            login = await http.post(
                "/api/login", json={"username": person.username, "password": PASSWORD}
            )
            assert login.status_code == 200
            answers = await asyncio.gather(
                *(http.get("/api/meetings", timeout=60) for _ in range(burst))
            )
        return [answer.status_code for answer in answers]

    assert asyncio.run(scenario()) == [200] * burst

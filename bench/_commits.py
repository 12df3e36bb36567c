"""Committing events through the real API, as the secretariat does: each PATCH of an agenda
item records one `agenda.changed` event in its transaction."""

import asyncio
import time
from dataclasses import dataclass

import httpx2 as httpx

from bench._servers import PASSWORD, Scene


@dataclass(frozen=True)
class DriveResult:
    """How a paced run of commits went."""

    committed: int
    failed: int
    seconds: float

    @property
    def rate_hz(self) -> float:
        return self.committed / self.seconds if self.seconds else 0.0


class Committer:
    """A logged-in secretariat session against one server."""

    def __init__(self, base_url: str, scene: Scene) -> None:
        self.base_url = base_url
        self.path = f"/api/meetings/{scene.meeting_id}/agenda/{scene.item_id}"
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.username = scene.username
        self.count = 0

    def login(self) -> None:
        response = self.http.post(
            "/api/login", json={"username": self.username, "password": PASSWORD}
        )
        response.raise_for_status()
        self.http.headers["x-csrf-token"] = response.json()["csrf_token"]

    def commit(self) -> None:
        """One agenda change, one event; waits for the response."""
        self.count += 1
        response = self.http.patch(self.path, json={"title": f"Khai mạc {self.count}"})
        response.raise_for_status()

    def close(self) -> None:
        self.http.close()

    def drive(self, rate: float, seconds: float, in_flight: int = 8) -> DriveResult:
        """Commit at a steady rate for some seconds; a tick finding in_flight requests still
        waiting is skipped, so an overloaded server shows as a lower achieved rate.

        in_flight stays under the database pool (5 + 10 connections): past it, requests
        holding a connection wait for worker threads held by requests waiting for one.
        """
        return asyncio.run(self._drive(rate, seconds, in_flight))

    async def _drive(self, rate: float, seconds: float, in_flight: int) -> DriveResult:
        slots = asyncio.Semaphore(in_flight)
        async with httpx.AsyncClient(
            base_url=self.base_url,
            timeout=60,
            limits=httpx.Limits(max_connections=in_flight),
            cookies=self.http.cookies,
            headers=dict(self.http.headers),
        ) as http:
            loop = asyncio.get_running_loop()
            start = loop.time()
            tasks = []
            for n in range(max(1, round(rate * seconds))):
                await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
                if not slots.locked():
                    await slots.acquire()
                    tasks.append(asyncio.create_task(self._one(http, slots, n)))
            results = await asyncio.gather(*tasks)
            elapsed = loop.time() - start
        self.count += len(tasks)
        return DriveResult(
            committed=sum(results), failed=len(results) - sum(results), seconds=elapsed
        )

    async def _one(self, http: httpx.AsyncClient, slots: asyncio.Semaphore, n: int) -> bool:
        try:
            response = await http.patch(self.path, json={"title": f"Khai mạc r{n} {time.time()}"})
            return response.status_code == 200
        except httpx.HTTPError:
            return False
        finally:
            slots.release()

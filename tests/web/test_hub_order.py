"""The hub's own guarantees: quiet clients get heartbeats."""

import asyncio

from web.hub import PING, Client, Delivery, Hub


def drained(client: Client) -> list[object]:
    items: list[object] = []
    while not client.queue.empty():
        items.append(client.queue.get_nowait())
    return items


def test_only_quiet_clients_get_a_heartbeat() -> None:
    async def scenario() -> None:
        hub = Hub(heartbeat=0.1)
        await hub.start()
        quiet, busy = Client(meeting_id=1, is_manager=False), Client(meeting_id=1, is_manager=False)
        hub.join(quiet)
        hub.join(busy)
        for n in range(20):  # five offers per heartbeat interval
            await asyncio.sleep(0.02)
            busy.offer(Delivery(n, "{}"))
        await hub.stop()
        assert PING in drained(quiet)
        assert PING not in drained(busy)

    asyncio.run(scenario())

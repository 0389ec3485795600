"""`loadwatch web` under load: at most a few requests at work, a bounded queue that gives up in
time, and no work for a client that is gone (200 clients that gave up once left minutes of work
behind them)."""

from __future__ import annotations

import asyncio
import concurrent.futures

from loadwatch.web.serving import Admission


def _run(coro):
    """asyncio.run on a thread of its own: a browser test earlier in the same pytest leaves an
    event loop running on the main thread (Playwright's sync API), where asyncio.run refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class SlowPage:
    """An ASGI page that takes `seconds`; counts the requests it worked on."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.worked = 0

    async def __call__(self, scope, receive, send) -> None:
        self.worked += 1
        await asyncio.sleep(self.seconds)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _get(app, gone: bool = False) -> int:
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    if gone:
        messages.append({"type": "http.disconnect"})

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # a client still there: nothing more to say
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    await app(scope, receive, send)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    return starts[0]["status"] if starts else 0


def test_a_full_server_answers_503_at_once_and_waiters_give_up_in_time() -> None:
    page = SlowPage(0.5)
    app = Admission(page, limit=1, queue=1, wait_s=0.1)

    async def three() -> list[int]:
        first = asyncio.create_task(_get(app))
        await asyncio.sleep(0.02)  # the first is at work
        second = asyncio.create_task(_get(app))  # waits, then gives up
        await asyncio.sleep(0.02)
        third = await _get(app)  # the queue is full: 503 at once
        return [await first, await second, third]

    assert _run(three()) == [200, 503, 503]
    assert page.worked == 1


def test_a_client_that_left_while_waiting_costs_no_work() -> None:
    page = SlowPage(0.0)
    assert _run(_get(Admission(page, limit=1, queue=4, wait_s=1.0), gone=True)) == 0
    assert page.worked == 0
    assert _run(_get(Admission(page, limit=1, queue=4, wait_s=1.0))) == 200
    assert page.worked == 1

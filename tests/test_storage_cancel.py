"""Storage work cancelled at an awkward moment never leaves a task that cannot end (on SQLite, the default)."""

from __future__ import annotations

import asyncio
import threading

from sqlalchemy import text

from bot.storage.database import create_engine


async def test_a_query_cancelled_while_its_thread_is_busy_lets_every_task_end_when_all_are_cancelled(tmp_path) -> None:
    """A full test run once stalled in the event loop's teardown, on a loaded machine: a task cancelled mid-query
    (a bot's close cancelling its start-up work) leaves SQLAlchemy closing its connection in a shielded task, the
    teardown then cancels every task at once, and that close never ended. Here the connection's thread is held busy
    (a slow machine) until everything has been cancelled, in the order that used to stall."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    in_query = threading.Event()
    release = threading.Event()

    def busy() -> int:  # runs in the connection's thread, as a slow query would
        in_query.set()
        release.wait(30)
        return 1

    async def query() -> None:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.create_function("busy", 0, busy)
            await connection.execute(text("SELECT busy()"))

    task = asyncio.create_task(query())
    assert await asyncio.to_thread(in_query.wait, 30)
    task.cancel()  # the thread is busy: SQLAlchemy starts closing the connection, and that waits for the thread
    for _ in range(20):  # no I/O can progress meanwhile: a fixed number of loop turns reaches the same state
        await asyncio.sleep(0)
    me = asyncio.current_task()
    closing = [t for t in asyncio.all_tasks() if t is not me and t is not task and not t.done()]
    assert closing, "cancelling the query should leave its connection's close running"

    for t in [task, *closing]:  # what the loop's teardown does: every task cancelled once, then all waited for
        t.cancel()
    release.set()
    _, stuck = await asyncio.wait([task, *closing], timeout=10)

    assert not stuck, f"tasks that did not end when cancelled: {stuck}"
    await engine.dispose()

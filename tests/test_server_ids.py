"""A timer's servers as a sorted array: behaves as the set it replaces, at a fraction of its memory."""

from __future__ import annotations

import sys

from bot.scheduling.server_ids import ServerIds

SNOWFLAKE = 1_180_000_000_000_000_000  # server ids are 64-bit snowflakes


def test_server_ids_behave_as_a_set() -> None:
    ids = ServerIds()
    for server in (SNOWFLAKE + 3, SNOWFLAKE + 1, SNOWFLAKE + 3, SNOWFLAKE + 2):
        ids.add(server)
    assert len(ids) == 3
    assert list(ids) == [SNOWFLAKE + 1, SNOWFLAKE + 2, SNOWFLAKE + 3]
    assert SNOWFLAKE + 2 in ids and SNOWFLAKE not in ids and SNOWFLAKE + 4 not in ids

    ids.discard(SNOWFLAKE + 2)
    ids.discard(SNOWFLAKE + 99)  # absent: nothing happens, as with a set
    assert list(ids) == [SNOWFLAKE + 1, SNOWFLAKE + 3]

    ids.update(ServerIds([SNOWFLAKE + 5, SNOWFLAKE + 1]))
    assert list(ids) == [SNOWFLAKE + 1, SNOWFLAKE + 3, SNOWFLAKE + 5]

    ids.clear()
    assert len(ids) == 0 and not ids and SNOWFLAKE + 1 not in ids


def test_ten_thousand_servers_cost_a_sixth_of_a_set() -> None:
    servers = [SNOWFLAKE + 7919 * n for n in range(10_000)]
    ids = ServerIds(servers)
    assert len(ids) == 10_000 and servers[1234] in ids
    as_array = sys.getsizeof(ids._merged())
    as_set = sys.getsizeof(set(servers))
    assert as_array <= 81_000  # 8 bytes an id
    assert as_array * 6 < as_set

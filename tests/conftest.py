from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
PREMIERE = datetime(2023, 11, 2, 7, 0, tzinfo=UTC)  # from ../shared/show-facts.md, not from our catalogue


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(ROOT / "config", environ={})

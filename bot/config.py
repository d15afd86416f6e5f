"""Loading and validating the configuration: the release catalogue and the operator's settings.

The package ships a default catalogue and settings (`bot/defaults/`); an operator's own `config/` directory in
the working directory (or `--config DIR`) replaces them. Every problem is collected with its file and key, so
`release-bot check-config` can list them all at once instead of failing on the first.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from platformdirs import user_data_dir

from bot.domain.durations import parse_duration
from bot.domain.plan import DEFAULT_MILESTONES
from bot.domain.releases import CastMember, Catalogue, Release
from bot.domain.server_releases import is_server_release_id
from bot.domain.zones import resolve_zone

OPERATOR_CONFIG_DIR = Path("config")  # the operator's own, in the directory release-bot runs in
# Shipped in the package: `bot/defaults` is a link to the checkout's `config/` (one copy), copied into wheels.
PACKAGED_CONFIG_DIR = Path(__file__).parent / "defaults"
RELEASES_FILE = "releases.toml"
# A sandbox gets this token, never the operator's real DISCORD_TOKEN: a sandbox URL may be anyone's server.
SANDBOX_TOKEN = "sandbox-token"
SETTINGS_FILE = "settings.toml"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# Bounds that keep every reply inside Discord's limits (choice names <= 100, embed fields <= 1024...).
_TEXT_LIMITS = {
    "title": 100,
    "kind": 40,
    "network": 100,
    "director": 100,
    "director_note": 300,
    "writer": 100,
    "based_on": 300,
    "setting": 300,
    "where_to_watch": 100,
    "logline": 2000,
    "logline_source": 100,
}
_RELEASE_KEYS = {"id", "release_at", "timezone", "episodes", "trivia", "cast", *_TEXT_LIMITS}
_CAST_KEYS = {"actor": 100, "role": 100, "note": 300}


def default_config_dir() -> Path:
    """`config/` in the working directory if the operator made one, else the defaults shipped in the package."""
    return OPERATOR_CONFIG_DIR if OPERATOR_CONFIG_DIR.is_dir() else PACKAGED_CONFIG_DIR


def default_database_url() -> str:
    """With no database configured: a SQLite file in the user's data directory (~/.local/share/release-bot)."""
    return f"sqlite+aiosqlite:///{Path(user_data_dir('release-bot')) / 'release-bot.sqlite3'}"


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    key: str  # "" for a problem with the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}" if self.key else f"{self.file}: {self.message}"


class ConfigError(Exception):
    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    milestones: tuple[timedelta, ...] = DEFAULT_MILESTONES
    grace: timedelta = timedelta(hours=1)
    premiere_grace: timedelta = timedelta(hours=24)
    # Announcement posts per second for this process; Discord allows 50 requests/s per bot in all.
    posts_per_second: float = 48.0


@dataclass(frozen=True)
class Config:
    catalogue: Catalogue
    settings: Settings
    directory: Path


class _Collector:
    """Gathers problems for one file while reading typed values out of it."""

    def __init__(self, file: Path) -> None:
        self.file = str(file)
        self.problems: list[ConfigProblem] = []

    def add(self, key: str, message: str) -> None:
        self.problems.append(ConfigProblem(self.file, key, message))

    def text(self, table: Mapping[str, Any], key: str, where: str, limit: int, required: bool = False) -> str:
        value = table.get(key, "")
        if not isinstance(value, str):
            self.add(f"{where}.{key}", f"must be a string, not {type(value).__name__}")
            return ""
        if required and not value.strip():
            self.add(f"{where}.{key}", "is required")
        if len(value) > limit:
            self.add(f"{where}.{key}", f"is {len(value)} characters long; the limit is {limit}")
        return value.strip()

    def unknown_keys(self, table: Mapping[str, Any], allowed: set[str] | Mapping[str, Any], where: str) -> None:
        for key in sorted(set(table) - set(allowed)):
            self.add(f"{where}.{key}", "is not a known key (a typo?)")

    def read_toml(self, path: Path) -> dict[str, Any] | None:
        try:
            with path.open("rb") as f:
                return tomllib.load(f)
        except FileNotFoundError:
            self.add("", "file not found")
        except UnicodeDecodeError as exc:  # tomllib reads UTF-8 only
            self.add(
                "", f"is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}): save it as UTF-8"
            )
        except tomllib.TOMLDecodeError as exc:
            self.add("", f"not valid TOML: {exc}")
        except OSError as exc:  # a directory, no permission...
            self.add("", f"cannot be read: {exc.strerror or exc}")
        return None


def _release(c: _Collector, table: Mapping[str, Any], where: str) -> Release | None:
    c.unknown_keys(table, _RELEASE_KEYS, where)
    ident = table.get("id")
    if not isinstance(ident, str) or not _ID.match(ident):
        c.add(f"{where}.id", "must be lower-case letters, digits and dashes (at most 64), e.g. 'my-show'")
    elif is_server_release_id(ident):  # "s<digits>-…" names the releases servers add with /release add
        c.add(f"{where}.id", "must not look like 's123-name': those ids belong to releases servers add themselves")
    texts = {
        key: c.text(table, key, where, limit, required=key in ("title", "kind")) for key, limit in _TEXT_LIMITS.items()
    }
    zone = None
    zone_name = table.get("timezone")
    if not isinstance(zone_name, str) or (zone := resolve_zone(zone_name)) is None:
        c.add(f"{where}.timezone", f"{zone_name!r} is not an IANA time zone such as 'America/Los_Angeles'")
    release_at = _release_at(c, table.get("release_at"), zone, f"{where}.release_at")
    episodes = table.get("episodes")
    if episodes is not None and (not isinstance(episodes, int) or isinstance(episodes, bool) or episodes < 1):
        c.add(f"{where}.episodes", "must be a positive whole number")
        episodes = None
    trivia = table.get("trivia", [])
    if not isinstance(trivia, list) or not all(isinstance(t, str) and 0 < len(t) <= 1000 for t in trivia):
        c.add(f"{where}.trivia", "must be a list of strings of 1 to 1000 characters")
        trivia = []
    if len(trivia) > 20:
        c.add(f"{where}.trivia", "has more than 20 facts")
    cast = []
    raw_cast = table.get("cast", [])
    if not isinstance(raw_cast, list) or len(raw_cast) > 25:
        c.add(f"{where}.cast", "must be a list of at most 25 [[release.cast]] tables")
        raw_cast = []
    for i, member in enumerate(raw_cast):
        mwhere = f"{where}.cast[{i}]"
        if not isinstance(member, dict):
            c.add(mwhere, "must be a table with actor and role")
            continue
        c.unknown_keys(member, _CAST_KEYS, mwhere)
        values = {k: c.text(member, k, mwhere, limit, required=k != "note") for k, limit in _CAST_KEYS.items()}
        cast.append(CastMember(**values))
    if zone is None or release_at is None or not isinstance(ident, str):
        return None
    return Release(
        id=ident,
        release_at=release_at,
        timezone=zone,
        episodes=episodes,
        trivia=tuple(trivia),
        cast=tuple(cast),
        **texts,  # type: ignore[arg-type]  # the text fields only (_TEXT_LIMITS)
    )


def _release_at(c: _Collector, raw: Any, zone: ZoneInfo | None, key: str) -> datetime | None:
    """`release_at` is the local wall-clock time in the release's `timezone` (an offset, if any, must agree)."""
    example = "'2023-11-02T00:00:00'"
    if raw is None:
        c.add(key, f"is required: the local date and time of the release in its timezone, e.g. {example}")
        return None
    try:
        parsed = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    except ValueError:
        c.add(key, f"{raw!r} is not a date and time like {example}")
        return None
    if zone is None:
        return None
    local = parsed.replace(tzinfo=None).replace(tzinfo=zone)
    if parsed.tzinfo is not None and parsed.utcoffset() != local.utcoffset():
        # An offset that disagrees with `timezone` would silently move the release (a Z on a Los Angeles
        # premiere: 7 hours). One that agrees (Z with "UTC") says the same thing twice and is harmless.
        c.add(
            key,
            f"{str(raw)!r} has the UTC offset {parsed:%z} but {zone.key} is at {local:%z} then: "
            f"write the local wall-clock time in the release's timezone without an offset, e.g. {example}",
        )
        return None
    return local.astimezone(UTC)


def load_catalogue(path: Path) -> tuple[Catalogue | None, list[ConfigProblem]]:
    c = _Collector(path)
    data = c.read_toml(path)
    if data is None:
        return None, c.problems
    c.unknown_keys(data, {"featured", "release"}, "(top)")
    tables = data.get("release", [])
    if not isinstance(tables, list) or not tables:
        c.add("release", "the catalogue needs at least one [[release]] table")
        tables = []
    releases: list[Release] = []
    for i, table in enumerate(tables):
        release = _release(c, table, f"release[{i}]")
        if release is None:
            continue
        if any(r.id == release.id for r in releases):
            c.add(f"release[{i}].id", f"{release.id!r} is used twice")
        releases.append(release)
    featured = data.get("featured", releases[0].id if releases else "")
    if releases and featured not in {r.id for r in releases}:
        c.add("featured", f"{featured!r} is not the id of any release")
    if c.problems:
        return None, c.problems
    return Catalogue(tuple(releases), featured), []


def load_settings(path: Path, environ: Mapping[str, str] = os.environ) -> tuple[Settings, list[ConfigProblem]]:
    """Settings from `settings.toml` (optional: defaults apply when it is missing), then the environment."""
    c = _Collector(path)
    data = c.read_toml(path) if path.exists() else {}
    data = data or {}
    c.unknown_keys(data, {"storage", "announcements"}, "(top)")
    storage = data.get("storage", {})
    ann = data.get("announcements", {})
    c.unknown_keys(storage, {"database_url"}, "storage")
    c.unknown_keys(ann, {"milestones", "grace", "premiere_grace", "posts_per_second"}, "announcements")
    defaults = Settings()
    values: dict[str, Any] = {}
    from_environment = bool(environ.get("DATABASE_URL", "").strip())
    url = environ["DATABASE_URL"].strip() if from_environment else storage.get("database_url") or defaults.database_url
    if not isinstance(url, str) or not _SUPPORTED_URL.match(_async_driver(url)):
        message = (
            f"{_safe(url)!r} is not a supported database URL: use postgresql://user:password@host/db "
            "or sqlite:///path/to/file.sqlite3"
        )
        if from_environment:
            c.problems.append(ConfigProblem("environment", "DATABASE_URL", message))
        else:
            c.add("storage.database_url", message)
    else:
        values["database_url"] = _async_driver(url)
    if "milestones" in ann:
        try:
            values["milestones"] = tuple(sorted({parse_duration(m) for m in ann["milestones"]}, reverse=True))
        except (TypeError, ValueError) as exc:
            c.add("announcements.milestones", str(exc))
    if "posts_per_second" in ann:
        rate = ann["posts_per_second"]
        if isinstance(rate, int | float) and not isinstance(rate, bool) and 0 < rate <= 50:
            values["posts_per_second"] = float(rate)
        else:
            c.add("announcements.posts_per_second", "must be a number above 0 and at most 50 (Discord's limit)")
    for key in ("grace", "premiere_grace"):
        if key in ann:
            try:
                values[key] = parse_duration(ann[key])
            except (TypeError, ValueError) as exc:
                c.add(f"announcements.{key}", str(exc))
    return Settings(**values), c.problems


_SUPPORTED_URL = re.compile(r"^(postgresql\+asyncpg|sqlite\+aiosqlite)://")


def _safe(url: object) -> str:
    """A URL for a message, without a password."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", str(url))


def _async_driver(url: str) -> str:
    """Operators write the URL their host gives them; SQLAlchemy's async engine needs an async driver."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def check_config(directory: Path | None = None, environ: Mapping[str, str] = os.environ) -> list[ConfigProblem]:
    directory = directory or default_config_dir()
    _, problems = load_catalogue(directory / RELEASES_FILE)
    _, more = load_settings(directory / SETTINGS_FILE, environ)
    return problems + more


def load_config(directory: Path | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    directory = directory or default_config_dir()
    catalogue, problems = load_catalogue(directory / RELEASES_FILE)
    settings, more = load_settings(directory / SETTINGS_FILE, environ)
    if problems or more or catalogue is None:
        raise ConfigError(problems + more)
    return Config(catalogue, settings, directory)

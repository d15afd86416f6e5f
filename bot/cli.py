"""The `release-bot` command line. Sub-command names, options and output formats are a contract."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from bot.config import (
    PACKAGED_CONFIG_DIR,
    RELEASES_FILE,
    SANDBOX_TOKEN,
    SETTINGS_FILE,
    Config,
    ConfigError,
    check_config,
    default_config_dir,
    load_config,
)
from bot.domain.countdown import countdown
from bot.domain.plan import build_plan, post_text
from bot.domain.releases import Release, UnknownRelease
from bot.domain.zones import resolve_zone

NO_TOKEN = """\
DISCORD_TOKEN is not set (or blank), so there is no Discord bot to log in as.
  - To run on Discord: create a bot at https://discord.com/developers/applications, then
      export DISCORD_TOKEN=...   (never commit it to a file)
      release-bot sync           (once, to register the slash commands)
      release-bot run
  - To try it without a token: release-bot demo   (a local Discord sandbox, nothing leaves this machine)
  - Or ask it questions in the terminal: release-bot console"""


T = TypeVar("T")


class CliError(Exception):
    """A message for the operator and a non-zero exit, instead of a traceback."""


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time such as 2023-10-26T07:00:00Z") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone: add Z for UTC or an offset like +02:00")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = datetime.min.replace(tzinfo=UTC)  # refused just below
    # Discord's <t:…> timestamps count from 1970; near year 1 or 9999 local times fall off the calendar.
    if not 1970 <= moment.year <= 9998:
        raise argparse.ArgumentTypeError(f"{text!r} is outside the years 1970 to 9998")
    return moment


def _clock(text: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time of day such as 20:00") from None


def _locale(text: str) -> str:
    """A language the bot speaks, as Discord names it ("fr", "de", "en-US"): the console's member speaks it."""
    from bot.i18n import LANGUAGES, language

    if text.split("-")[0].lower() not in LANGUAGES:
        raise argparse.ArgumentTypeError(f"{text!r} is not a language the bot speaks: {', '.join(LANGUAGES)}")
    return language(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 0 to 65535")
    return int(text)


def _non_negative(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def _sandbox_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a sandbox URL such as http://127.0.0.1:8080 (`release-bot sandbox` prints it)"
        )
    return text


def _shard_ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of shard ids such as 0,1") from None


def _zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _config_dir(path: Path | None) -> Path:
    """The configuration directory: as given, or `config/` here, or the defaults shipped in the package.

    A path to one of its files stands for the directory, so `check-config config/releases.toml` just works."""
    if path is None:
        return default_config_dir()
    if path.is_file() and path.name in (RELEASES_FILE, SETTINGS_FILE):
        return path.parent
    if path.is_file():
        raise CliError(f"{path} is a file: give the directory that holds {RELEASES_FILE} and {SETTINGS_FILE}")
    if not path.is_dir():
        raise CliError(f"{path}: no such directory (it should hold {RELEASES_FILE} and {SETTINGS_FILE})")
    return path


def _describe(directory: Path) -> str:
    return "the packaged defaults" if directory == PACKAGED_CONFIG_DIR else f"{directory}/"


def _load(args: argparse.Namespace) -> Config:
    directory = _config_dir(args.config)
    try:
        return load_config(directory)
    except ConfigError as exc:
        raise CliError(
            f"the configuration in {_describe(directory)} has problems "
            f"(run `release-bot check-config {directory}`):\n{exc}"
        ) from None


def cmd_check_config(args: argparse.Namespace) -> int:
    directory = _config_dir(args.path or args.config)
    problems = check_config(directory)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    config = load_config(directory)
    print(
        f"{directory}: OK — {len(config.catalogue.releases)} release(s), featured: {config.catalogue.featured.id}"
        f"; database: {_safe_url(config.settings.database_url)}"
    )
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from bot.console import run_console

    return asyncio.run(run_console(_load(args), args.at, args.json, locale=args.locale))


def _release(config: Config, wanted: str | None) -> Release:
    try:
        return config.catalogue.get(wanted)
    except UnknownRelease as exc:
        ids = ", ".join(r.id for r in config.catalogue.releases)
        raise CliError(f"unknown release {exc.wanted!r}; the catalogue has: {ids}") from None


def cmd_plan(args: argparse.Namespace) -> int:
    config = _load(args)
    release = _release(config, args.release)
    zone = release.timezone
    if args.tz is not None:
        typed = resolve_zone(args.tz)
        if typed is None:
            raise CliError(f"{args.tz!r} is not an IANA time zone such as Europe/Paris")
        zone = typed
    now = args.at or datetime.now(UTC)
    posts = build_plan(release, zone, args.daily, now, config.settings.milestones)
    rows = [
        {
            "at": _zulu(p.at),
            "local": p.at.astimezone(zone).isoformat(),
            "kind": p.kind,
            "label": p.label,
            "text": post_text(release, p),
        }
        for p in posts
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        state = countdown(release.release_at, now)
        print(f"{release.title} {state.sentence(release)} ({_zulu(release.release_at)}): nothing left to announce.")
        return 0
    print(f"{len(rows)} post(s) for {release.title}, times in {zone.key}:")
    for row in rows:
        print(f"  {row['local'][:16].replace('T', ' ')}  {row['kind']:<9}  {row['label']}")
    return 0


def cmd_ics(args: argparse.Namespace) -> int:
    from bot.domain.calendar import REMINDER_WORDS, build_ics

    config = _load(args)
    release = _release(config, args.release)
    now = datetime.now(UTC)
    data = build_ics(release, now)
    if args.out is None or str(args.out) == "-":
        sys.stdout.buffer.write(data)  # bytes: an .ics keeps its CRLF line ends
    else:
        try:
            args.out.write_bytes(data)
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        print(
            f"Wrote {args.out} ({len(data):,} bytes): {release.title} at {_zulu(release.release_at)}, "
            f"with a reminder {REMINDER_WORDS} before.",
            file=sys.stderr,
        )
    if release.release_at <= now:  # still a valid file (an archive, a calendar of what came out), but say so
        print(
            f"note: {release.title} {countdown(release.release_at, now).sentence(release)}; the event is in the past.",
            file=sys.stderr,
        )
    return 0


def _token(args: argparse.Namespace) -> str | None:
    """The bot token from the environment, or the sandbox's; None after explaining."""
    if args.sandbox:
        return SANDBOX_TOKEN
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return None
    return token


class _NoColourFormatter(logging.Formatter):
    """One plain line per record (no colour codes, so logs read the same in a terminal, a file or journald), and
    the token blanked out should anything ever put it in a message.

    A record's exception is its type and message on the same line; `--verbose` keeps the whole traceback.
    discord.py logs every failed gateway reconnect with its traceback, and a first connection retried every 5 s
    chains each failure to the last: dozens of lines per attempt while Discord is unreachable."""

    def __init__(self, secret: str, tracebacks: bool = False) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
        self.secret = secret
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_info[1] is not None and not self.tracebacks:
            error = record.exc_info[1]
            summary = f"{record.getMessage()} ({type(error).__name__}: {error})".replace("\n", " ")
            record = logging.makeLogRecord(
                {**record.__dict__, "msg": summary, "args": None, "exc_info": None, "exc_text": None}
            )
        text = super().format(record)
        return text.replace(self.secret, "[DISCORD_TOKEN]") if self.secret else text


def configure_logging(level: int = logging.INFO, verbose: bool = False) -> None:
    """Logging for `run` and `demo`, set up once: to stderr, one format, routine library lines quiet."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_NoColourFormatter(os.environ.get("DISCORD_TOKEN", "").strip(), tracebacks=verbose))
    # The bot never joins voice: discord.py's warning that voice is unsupported would only worry operators.
    handler.addFilter(lambda record: "voice will NOT be supported" not in record.getMessage())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else level)
    # APScheduler logs every job run ("Running job", "executed successfully") and Alembic every start's
    # context: routine lines that would drown the bot's own; --verbose shows them. discord.py's debug lines are
    # the raw gateway traffic, never wanted.
    if not verbose:
        for noisy in ("apscheduler", "alembic"):
            logging.getLogger(noisy).setLevel(max(logging.WARNING, level))
    logging.getLogger("discord").setLevel(max(logging.INFO, root.level))


def _connecting(args: argparse.Namespace, action: Callable[[], T]) -> T:
    """Run `action`, turning what a missing network, a refused token or a database that is down raise into one
    line for the operator."""
    import aiohttp
    import discord

    from bot.storage.database import DatabaseUnavailable

    where = f"the sandbox at {args.sandbox}" if args.sandbox else "Discord"
    try:
        return action()
    except DatabaseUnavailable as exc:
        raise CliError(str(exc)) from None
    except discord.LoginFailure:
        hint = "is it a release-bot sandbox?" if args.sandbox else "check DISCORD_TOKEN"
        raise CliError(f"{where} refused the bot's token: {hint}") from None
    except discord.HTTPException as exc:
        raise CliError(f"{where} answered {exc.status}: {exc.text or exc}") from None
    except (aiohttp.ClientError, OSError, discord.GatewayNotFound) as exc:
        raise CliError(f"cannot reach {where}: {exc}") from None


def cmd_run(args: argparse.Namespace) -> int:
    token = _token(args)
    if token is None:
        return 2
    from bot.app import run_bot

    if (args.shard_ids is None) != (args.shard_count is None):
        raise CliError("--shard-ids and --shard-count go together, e.g. --shard-ids 0,1 --shard-count 4")
    if args.shard_ids is not None and not all(0 <= s < args.shard_count for s in args.shard_ids):
        raise CliError(f"every shard id must be between 0 and {args.shard_count - 1}")
    config = _load(args)
    configure_logging(verbose=args.verbose)
    log = logging.getLogger("bot.cli")
    log.info(
        "release-bot %s; configuration: %s; database: %s",
        _version(),
        _describe(config.directory),
        _safe_url(config.settings.database_url),
    )
    if args.metrics_port is not None:
        from bot import metrics

        try:
            metrics.serve(args.metrics_port)
        except OSError as exc:
            raise CliError(f"cannot serve metrics on port {args.metrics_port}: {exc.strerror or exc}") from None
        log.info("metrics at http://127.0.0.1:%d/metrics", args.metrics_port)
    return _connecting(
        args,
        lambda: asyncio.run(
            run_bot(config, token, sandbox=args.sandbox, shard_ids=args.shard_ids, shard_count=args.shard_count)
        ),
    )


def cmd_sync(args: argparse.Namespace) -> int:
    token = _token(args)
    if token is None:
        return 2
    from bot.app import sync_commands

    config = _load(args)
    names = _connecting(args, lambda: asyncio.run(sync_commands(config, token, args.guild, sandbox=args.sandbox)))
    where = f"server {args.guild}" if args.guild else "every server (global commands may take a while to show)"
    print(f"Registered {len(names)} commands for {where}: {', '.join('/' + n for n in names)}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.storage.database import create_engine, current_revision, upgrade

    config = _load(args)

    async def run() -> str | None:
        engine = create_engine(config.settings.database_url)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    from bot.storage.database import DatabaseUnavailable

    try:
        revision = asyncio.run(run())
    except DatabaseUnavailable as exc:
        raise CliError(str(exc)) from None
    print(f"Database is at revision {revision}: {_safe_url(config.settings.database_url)}")
    return 0


def _safe_url(url: str) -> str:
    from bot.storage.database import safe_url

    return safe_url(url)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.server import Sandbox

    async def serve() -> None:
        sandbox = Sandbox(latency_ms=args.latency_ms)
        try:
            url = await sandbox.start(port=args.port)
        except OSError as exc:
            raise CliError(
                f"cannot listen on port {args.port}: {exc.strerror or exc} (leave --port out to take any free port)"
            ) from None
        print(f"SANDBOX_URL={url}", flush=True)
        print(f"Point the bot at it: release-bot run --sandbox {url}", file=sys.stderr, flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await sandbox.stop()

    asyncio.run(serve())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    if args.seconds < 4:
        raise CliError("--seconds must be at least 4, so the milestones have room before the release")
    config = _load(args)
    transcript = None
    if args.transcript is not None:  # before anything starts: a typo in the path should cost nothing
        try:
            transcript = args.transcript.open("w", encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write the transcript {args.transcript}: {exc.strerror or exc}") from None
    configure_logging(logging.ERROR)  # the tour prints what matters; the bot's routine lines would clutter it
    try:
        return asyncio.run(run_demo(config, args.seconds, transcript))
    finally:
        if transcript is not None:
            transcript.close()


def _version() -> str:
    try:
        return version("release-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="release-bot", description="A Discord bot that counts a community down to a release date."
    )
    parser.add_argument("--version", action="version", version=f"release-bot {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config_help = "the configuration directory (default: config/ if it exists here, else the packaged defaults)"

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--config", type=Path, metavar="DIR", help=config_help)
        return p

    p = add("check-config", "Validate the release catalogue and settings; list every problem.")
    p.add_argument("path", nargs="?", type=Path, help="the configuration directory (default: --config)")
    p.set_defaults(func=cmd_check_config)

    p = add("console", "Type slash commands in the terminal; answered by the bot's own command code.")
    p.add_argument("--at", type=_instant, metavar="ISO8601", help="pretend it is this time")
    p.add_argument("--json", action="store_true", help="one JSON object per reply: the exact Discord payload")
    p.add_argument(
        "--locale", type=_locale, default="en", metavar="LANG", help="answer in the member's language: en, fr or de"
    )
    p.set_defaults(func=cmd_console)

    p = add("plan", "Every announcement a channel would get from now on.")
    p.add_argument("--release", metavar="ID", help="release id (default: the featured release)")
    p.add_argument("--tz", metavar="ZONE", help="IANA time zone (default: the release's own)")
    p.add_argument("--daily", type=_clock, metavar="HH:MM", help="also post daily at this local time")
    p.add_argument("--at", type=_instant, metavar="ISO8601", help="pretend it is this time")
    p.add_argument("--json", action="store_true", help="a JSON list, in time order")
    p.set_defaults(func=cmd_plan)

    p = add("ics", "Write a release's calendar file (.ics, as /calendar sends it).")
    p.add_argument("--release", metavar="ID", help="release id (default: the featured release)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write it to FILE (default, or -: standard output)")
    p.set_defaults(func=cmd_ics)

    p = add("run", "Run the bot on Discord (needs DISCORD_TOKEN) or on a sandbox.")
    p.add_argument(
        "--sandbox", type=_sandbox_url, metavar="URL", help="connect to a release-bot sandbox instead of Discord"
    )
    p.add_argument("--shard-ids", type=_shard_ids, metavar="0,1", help="the shards this process runs")
    p.add_argument("--shard-count", type=int, metavar="N", help="how many shards all processes run together")
    p.add_argument(
        "--metrics-port", type=_port, metavar="N", help="serve Prometheus metrics at http://127.0.0.1:N/metrics"
    )
    p.add_argument(
        "--verbose", action="store_true", help="also log debug lines and the scheduler's and migrations' routine lines"
    )
    p.set_defaults(func=cmd_run)

    p = add("sync", "Register the slash commands with Discord (the bot does not re-sync on every start).")
    p.add_argument("--guild", type=int, metavar="ID", help="register for one server only (shows at once)")
    p.add_argument(
        "--sandbox", type=_sandbox_url, metavar="URL", help="register with a release-bot sandbox instead of Discord"
    )
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("db", help="Database maintenance.", description="Database maintenance.")
    db = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db.add_parser("upgrade", help="apply the migrations (the bot also does this at start)")
    up.add_argument("--config", type=Path, metavar="DIR", help=config_help)
    up.set_defaults(func=cmd_db_upgrade)

    p = add("sandbox", "Run the local Discord sandbox on its own (loopback only).")
    p.add_argument("--port", type=_port, default=0, help="port to listen on (default: any free one)")
    p.add_argument("--latency-ms", type=_non_negative, default=0, metavar="N", help="add this latency to every request")
    p.set_defaults(func=cmd_sandbox)

    p = add("demo", "Try the bot with no token: the sandbox, the real bot, every command, live posts.")
    p.add_argument("--seconds", type=int, default=20, metavar="N", help="the demo release is N seconds away")
    p.add_argument("--transcript", type=Path, metavar="FILE", help="write every request and message as JSON lines")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # here, so a closed pipe is caught below rather than at interpreter exit
        return status
    except CliError as exc:
        print(f"release-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`release-bot plan --json | head`): stop quietly, as POSIX tools do, with
        # Python's recipe: point stdout at devnull so the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1

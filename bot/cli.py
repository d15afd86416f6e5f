"""The `release-bot` command line. Sub-command names, options and output formats are a contract."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, time
from pathlib import Path

from bot.config import DEFAULT_CONFIG_DIR, Config, ConfigError, check_config, load_config
from bot.domain.countdown import countdown
from bot.domain.plan import build_plan, post_text
from bot.domain.releases import UnknownRelease
from bot.domain.zones import resolve_zone

NO_TOKEN = """\
DISCORD_TOKEN is not set, so there is no Discord bot to log in as.
  - To run on Discord: create a bot at https://discord.com/developers/applications, then
      export DISCORD_TOKEN=...   (never commit it to a file)
      release-bot sync           (once, to register the slash commands)
      release-bot run
  - To try it without a token: release-bot demo   (a local Discord sandbox, nothing leaves this machine)
  - Or ask it questions in the terminal: release-bot console"""


class CliError(Exception):
    """A message for the operator and a non-zero exit, instead of a traceback."""


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time such as 2023-10-26T07:00:00Z") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone: add Z for UTC or an offset like +02:00")
    return moment.astimezone(UTC)


def _clock(text: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time of day such as 20:00") from None


def _shard_ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of shard ids such as 0,1") from None


def _zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _load(args: argparse.Namespace) -> Config:
    try:
        return load_config(args.config)
    except ConfigError as exc:
        raise CliError(f"the configuration in {args.config}/ has problems "
                       f"(run `release-bot check-config {args.config}`):\n{exc}") from None


def cmd_check_config(args: argparse.Namespace) -> int:
    directory = args.path or args.config
    problems = check_config(directory)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    config = load_config(directory)
    print(f"{directory}: OK — {len(config.catalogue.releases)} release(s), featured: {config.catalogue.featured.id}")
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from bot.console import run_console

    return asyncio.run(run_console(_load(args), args.at, args.json))


def cmd_plan(args: argparse.Namespace) -> int:
    config = _load(args)
    try:
        release = config.catalogue.get(args.release)
    except UnknownRelease as exc:
        ids = ", ".join(r.id for r in config.catalogue.releases)
        raise CliError(f"unknown release {exc.wanted!r}; the catalogue has: {ids}") from None
    zone = release.timezone
    if args.tz:
        zone = resolve_zone(args.tz)
        if zone is None:
            raise CliError(f"{args.tz!r} is not an IANA time zone such as Europe/Paris")
    now = args.at or datetime.now(UTC)
    posts = build_plan(release, zone, args.daily, now, config.settings.milestones)
    rows = [{"at": _zulu(p.at), "local": p.at.astimezone(zone).isoformat(), "kind": p.kind, "label": p.label,
             "text": post_text(release, p)} for p in posts]
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


def _token(args: argparse.Namespace) -> str | None:
    """The bot token from the environment (any token will do for a sandbox); None after explaining."""
    token = os.environ.get("DISCORD_TOKEN", "")
    if not token and not args.sandbox:
        print(NO_TOKEN, file=sys.stderr)
        return None
    return token or "sandbox-token"


def cmd_run(args: argparse.Namespace) -> int:
    token = _token(args)
    if token is None:
        return 2
    from bot.discord.runner import run_bot

    if (args.shard_ids is None) != (args.shard_count is None):
        raise CliError("--shard-ids and --shard-count go together, e.g. --shard-ids 0,1 --shard-count 4")
    if args.shard_ids is not None and not all(0 <= s < args.shard_count for s in args.shard_ids):
        raise CliError(f"every shard id must be between 0 and {args.shard_count - 1}")
    return asyncio.run(run_bot(_load(args), token, sandbox=args.sandbox,
                               shard_ids=args.shard_ids, shard_count=args.shard_count))


def cmd_sync(args: argparse.Namespace) -> int:
    token = _token(args)
    if token is None:
        return 2
    from bot.discord.runner import sync_commands

    names = asyncio.run(sync_commands(_load(args), token, args.guild, sandbox=args.sandbox))
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

    revision = asyncio.run(run())
    print(f"Database is at revision {revision}: {_safe_url(config.settings.database_url)}")
    return 0


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.server import Sandbox

    async def serve() -> None:
        sandbox = Sandbox(latency_ms=args.latency_ms)
        url = await sandbox.start(port=args.port)
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
    return asyncio.run(run_demo(_load(args), args.seconds, args.transcript))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="release-bot", description="A Discord bot that counts a community down to a release date.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--config", type=Path, default=DEFAULT_CONFIG_DIR, metavar="DIR",
                       help="the configuration directory (default: config/)")
        return p

    p = add("check-config", "Validate the release catalogue and settings; list every problem.")
    p.add_argument("path", nargs="?", type=Path, help="the configuration directory (default: --config)")
    p.set_defaults(func=cmd_check_config)

    p = add("console", "Type slash commands in the terminal; answered by the bot's own command code.")
    p.add_argument("--at", type=_instant, metavar="ISO8601", help="pretend it is this time")
    p.add_argument("--json", action="store_true", help="one JSON object per reply: the exact Discord payload")
    p.set_defaults(func=cmd_console)

    p = add("plan", "Every announcement a channel would get from now on.")
    p.add_argument("--release", metavar="ID", help="release id (default: the featured release)")
    p.add_argument("--tz", metavar="ZONE", help="IANA time zone (default: the release's own)")
    p.add_argument("--daily", type=_clock, metavar="HH:MM", help="also post daily at this local time")
    p.add_argument("--at", type=_instant, metavar="ISO8601", help="pretend it is this time")
    p.add_argument("--json", action="store_true", help="a JSON list, in time order")
    p.set_defaults(func=cmd_plan)

    p = add("run", "Run the bot on Discord (needs DISCORD_TOKEN) or on a sandbox.")
    p.add_argument("--sandbox", metavar="URL", help="connect to a release-bot sandbox instead of Discord")
    p.add_argument("--shard-ids", type=_shard_ids, metavar="0,1", help="the shards this process runs")
    p.add_argument("--shard-count", type=int, metavar="N", help="how many shards all processes run together")
    p.set_defaults(func=cmd_run)

    p = add("sync", "Register the slash commands with Discord (the bot does not re-sync on every start).")
    p.add_argument("--guild", type=int, metavar="ID", help="register for one server only (shows at once)")
    p.add_argument("--sandbox", metavar="URL", help="register with a release-bot sandbox instead of Discord")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("db", help="Database maintenance.", description="Database maintenance.")
    db = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db.add_parser("upgrade", help="apply the migrations (the bot also does this at start)")
    up.add_argument("--config", type=Path, default=DEFAULT_CONFIG_DIR, metavar="DIR",
                    help="the configuration directory (default: config/)")
    up.set_defaults(func=cmd_db_upgrade)

    p = add("sandbox", "Run the local Discord sandbox on its own (loopback only).")
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: any free one)")
    p.add_argument("--latency-ms", type=int, default=0, metavar="N", help="add this latency to every request")
    p.set_defaults(func=cmd_sandbox)

    p = add("demo", "Try the bot with no token: the sandbox, the real bot, every command, live posts.")
    p.add_argument("--seconds", type=int, default=20, metavar="N", help="the demo release is N seconds away")
    p.add_argument("--transcript", type=Path, metavar="FILE", help="write every request and message as JSON lines")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"release-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

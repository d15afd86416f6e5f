"""Command specifications and dispatch: one description of each command for Discord, the console and /help."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.commands.replies import INTERNAL_ERROR, Reply, UserError, error_reply, neutralise, number
from bot.commands.services import Announcements, MemberRoles, Reminders
from bot.config import Settings
from bot.domain.releases import Catalogue
from bot.i18n import NAME_CONTEXT, is_valid_name, ptr, tr

log = logging.getLogger(__name__)
MAX_OPTION_LENGTH = 100  # Discord's autocomplete values and our names all fit in 100


@dataclass
class CommandContext:
    catalogue: Catalogue
    settings: Settings
    now: datetime
    guild_zone: ZoneInfo | None = None  # the server's configured zone, when it has one
    guild_id: int | None = None  # None in DMs and in the console
    is_admin: bool = False  # the member has Manage Server
    services: Announcements | None = None  # for server-side commands; None in the console
    user_id: int | None = None  # the member who asked; None in the console
    reminders: Reminders | None = None  # members' DM reminders; None in the console
    notice: str | None = None  # owed to the member once (read by the adapter, shown with the reply)
    roles: MemberRoles | None = None  # members' roles in the server (the Get pinged button); None in the console
    member_roles: frozenset[int] = frozenset()  # the roles the member has in this server, as the interaction says
    locale: str = "en"  # the member's language ("en", "fr", "de"): every reply to them is in it
    guild_locale: str | None = None  # the server's language (its preferred locale); None in DMs and the console


@dataclass(frozen=True)
class Option:
    name: str
    description: str
    required: bool = False
    kind: str = "string"  # "string" | "channel" | "role" | "boolean"
    autocomplete: Callable[[CommandContext, str], list[str]] | None = None
    choices: tuple[str, ...] = ()  # a fixed list Discord shows as a menu (at most 25)
    max_length: int = MAX_OPTION_LENGTH  # Discord's input box enforces it; dispatch checks it again


Handler = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str  # "countdown", or "announce setup" for a sub-command
    description: str
    handler: Handler
    options: tuple[Option, ...] = ()
    admin: bool = False  # needs Manage Server
    guild_only: bool = False
    # Reads or writes storage, or posts to Discord: the adapter defers before running it, so a slow database or
    # a busy pacer never makes it miss Discord's 3 s deadline for the first response.
    touches_storage: bool = False
    ephemeral: bool = False  # its replies are seen only by the member who asked (the deferral must match)
    # Works wherever a member is: installed to a server or to the member's account, in DMs and group DMs
    # (Discord's allowed_installs / allowed_contexts); else only where the bot is installed to the server.
    anywhere: bool = False

    def option(self, name: str) -> Option:
        for option in self.options:
            if option.name == name:
                return option
        raise KeyError(name)

    def describe(self) -> dict[str, str]:
        return {o.name: o.description for o in self.options}


ComponentHandler = Callable[[CommandContext, str, list[str]], Awaitable[Reply]]
CUSTOM_ID_LIMIT = 100  # Discord's limit for a component's custom_id


@dataclass(frozen=True)
class Component:
    """A button or select whose press comes back as an interaction with custom_id `{name}:{arg}` (e.g.
    "remind:all-the-light"): the state lives in the custom_id, so it works after restarts and on any shard."""

    name: str
    description: str
    handler: ComponentHandler  # (ctx, arg, selected values) -> Reply
    touches_storage: bool = False
    ephemeral: bool = True

    @property
    def pattern(self) -> str:
        return re.escape(self.name) + r":(?P<arg>[A-Za-z0-9_.-]{1,90})"

    def custom_id(self, arg: str) -> str:
        custom_id = f"{self.name}:{arg}"
        if len(custom_id) > CUSTOM_ID_LIMIT or not re.fullmatch(self.pattern, custom_id):
            raise ValueError(f"{custom_id!r} does not fit the pattern of component {self.name}")
        return custom_id


@dataclass
class Registry:
    commands: dict[str, Command] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)  # "announce" -> its description in Discord's menu
    components: dict[str, Component] = field(default_factory=dict)  # by name, the custom_id's prefix

    def add(self, command: Command) -> Command:
        if command.name in self.commands:
            raise ValueError(f"/{command.name} is declared twice")
        self.commands[command.name] = command
        return command

    def group_description(self, name: str) -> str:
        return self.groups.get(name) or f"/{name} commands"

    def __getitem__(self, name: str) -> Command:
        return self.commands[name]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.commands.values())


REGISTRY = Registry()


def group(name: str, description: str) -> None:
    """Declare the description of a command group ("announce"), whose sub-commands are declared with `command`."""
    REGISTRY.groups[name] = description


def command(
    name: str,
    description: str,
    *options: Option,
    admin: bool = False,
    guild_only: bool = False,
    touches_storage: bool = False,
    ephemeral: bool = False,
    anywhere: bool = False,
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        REGISTRY.add(
            Command(name, description, handler, options, admin, guild_only, touches_storage, ephemeral, anywhere)
        )
        return handler

    return register


def component(
    name: str, description: str, *, touches_storage: bool = False, ephemeral: bool = True
) -> Callable[[ComponentHandler], ComponentHandler]:
    """Declare a button or select: presses of custom_id `{name}:{arg}` run the handler (Discord and console)."""

    def register(handler: ComponentHandler) -> ComponentHandler:
        if name in REGISTRY.components or ":" in name:
            raise ValueError(f"component {name!r} is declared twice or has a ':' in its name")
        REGISTRY.components[name] = Component(name, description, handler, touches_storage, ephemeral)
        return handler

    return register


def localized_name(locale: str | None, name: str) -> str:
    """A command, group or option name as Discord shows it in the locale: the translation when it obeys Discord's
    name rule, else the English name (what the translator registers, and what /help and error replies name)."""
    translated = ptr(locale, NAME_CONTEXT, name)
    return translated if is_valid_name(translated) else name


def find_component(custom_id: str) -> tuple[Component, str] | None:
    """The declared component a custom_id belongs to, with its argument."""
    found = REGISTRY.components.get(custom_id.partition(":")[0])
    if found is None:
        return None
    match = re.fullmatch(found.pattern, custom_id)
    return (found, match["arg"]) if match else None


async def dispatch_component(custom_id: str, values: list[str], ctx: CommandContext) -> Reply:
    """A press of a button (or a choice in a select), as dispatch runs a command: bad input is a friendly reply."""
    found = find_component(custom_id)
    if found is None:
        return error_reply(tr(ctx.locale, "This button is no longer in use. Run the command again for a fresh one."))
    spec, arg = found
    try:
        return await spec.handler(ctx, arg, values)
    except UserError as exc:
        return error_reply(str(exc))
    except Exception:
        log.exception("component %s failed", custom_id)
        return error_reply(tr(ctx.locale, INTERNAL_ERROR))


async def dispatch(name: str, options: dict[str, Any], ctx: CommandContext) -> Reply:
    """Run a command as a member would: validate options, call the handler, turn bad input into a friendly reply."""
    lang = ctx.locale
    spec = REGISTRY.commands.get(name)
    if spec is None:
        return _group_help(name, lang) or error_reply(
            tr(
                lang,
                "There is no `/{name}` command here. Try `/{help}` to see what I can do.",
                name=neutralise(name, 32),
                help=localized_name(lang, "help"),
            )
        )
    # Names in the member's language, as Discord shows them to them (typed options arrive by their English name).
    shown = _command_label(spec.name, lang)
    try:
        unknown = sorted(set(options) - {o.name for o in spec.options})
        if unknown:
            known = ", ".join(localized_name(lang, o.name) for o in spec.options)
            fields = {"command": shown, "option": neutralise(unknown[0], 32)}
            if not known:
                raise UserError(tr(lang, "`/{command}` has no option `{option}` (its options: none).", **fields))
            raise UserError(
                tr(lang, "`/{command}` has no option `{option}` (its options: {known}).", known=known, **fields)
            )
        options = dict(options)
        for option in spec.options:
            value = options.get(option.name)
            label = localized_name(lang, option.name)
            if option.kind == "boolean" and isinstance(value, str):  # typed in the console
                options[option.name] = value = _boolean(label, value, lang)
            if option.required and value in (None, ""):
                raise UserError(
                    tr(
                        lang,
                        "`/{command}` needs the option `{option}`: {description}.",
                        command=shown,
                        option=label,
                        description=tr(lang, option.description),
                    )
                )
            if isinstance(value, str) and len(value) > option.max_length:
                raise UserError(
                    tr(
                        lang,
                        "`{option}` is {length} characters long; at most {limit} fit.",
                        option=label,
                        length=number(len(value), lang),
                        limit=option.max_length,
                    )
                )
            if option.choices and value not in (None, "") and value not in option.choices:
                choices = ", ".join(f"`{c}`" for c in option.choices)
                raise UserError(tr(lang, "`{option}` is one of {choices}.", option=label, choices=choices))
        return await spec.handler(ctx, **{k: v for k, v in options.items() if v not in (None, "")})
    except UserError as exc:
        return error_reply(str(exc))
    except Exception:  # a bug, not the member's fault: say so privately, keep the details for the operator
        log.exception("/%s failed", name)
        return error_reply(tr(lang, INTERNAL_ERROR))


def _command_label(name: str, locale: str | None) -> str:
    """ "announce setup" as the member's Discord shows it ("annonces configurer")."""
    return " ".join(localized_name(locale, word) for word in name.split())


def _boolean(name: str, text: str, locale: str | None) -> bool:
    word = text.strip().casefold()
    if word in ("true", "yes", "on"):
        return True
    if word in ("false", "no", "off"):
        return False
    raise UserError(tr(locale, "`{option}` is True or False, not “{text}”.", option=name, text=neutralise(text, 20)))


def _group_help(name: str, locale: str | None) -> Reply | None:
    """`/announce` alone: a group is not a command by itself, so list what it holds."""
    subs = [spec for spec in REGISTRY if name and spec.name.startswith(name + " ")]
    if not subs:
        return None
    lines = [f"`/{_command_label(spec.name, locale)}` — {tr(locale, spec.description)}" for spec in subs]
    head = tr(locale, "`/{command}` has sub-commands; pick one:", command=_command_label(name, locale))
    return Reply(content=head + "\n" + "\n".join(lines), ephemeral=True)


def autocomplete(name: str, option: str, ctx: CommandContext, current: str) -> list[str]:
    """At most 25 suggestions, as Discord allows."""
    spec = REGISTRY.commands[name].option(option)
    return spec.autocomplete(ctx, current)[:25] if spec.autocomplete else []

"""Discord's app commands, generated from the command registry: each command is declared once, in bot/commands/.

For every registry entry this builds a discord.py `app_commands.Command` whose parameters, descriptions, length
limits, choices, autocomplete callbacks, permissions and contexts come from the entry; a sub-command ("announce
setup") lands in an `app_commands.Group` named by its first word. The callback turns discord.py's resolved option
values into the plain values the shared handlers take (`ChannelRef`, `RoleRef`) and runs the command.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.commands.announce import ChannelRef, RoleRef
from bot.commands.registry import REGISTRY, Command, Option, Registry, autocomplete
from bot.discord.respond import client_of, run_command

# What the bot needs in a channel to announce there, by discord.py's permission names.
NEEDED = {"view_channel": "View Channel", "send_messages": "Send Messages"}
Resolved = discord.abc.GuildChannel | app_commands.AppCommandChannel | discord.Role | str
Suggest = Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]


def channel_ref(
    interaction: discord.Interaction, channel: discord.abc.GuildChannel | app_commands.AppCommandChannel
) -> ChannelRef:
    """The channel option, with the permissions the bot lacks there (checked on the cached channel)."""
    guild = interaction.guild
    real = guild.get_channel(channel.id) if guild else None
    if real is None or guild is None:
        return ChannelRef(channel.id, channel.name, ("View Channel",))
    permissions = real.permissions_for(guild.me)
    missing = tuple(label for name, label in NEEDED.items() if not getattr(permissions, name))
    return ChannelRef(real.id, real.name, missing)


def role_ref(role: discord.Role) -> RoleRef:
    return RoleRef(role.id, role.name, role.is_default())


def _annotation(option: Option) -> Any:
    if option.kind == "channel":
        return discord.TextChannel
    if option.kind == "role":
        return discord.Role
    if option.kind == "boolean":
        return bool
    if option.choices:
        return app_commands.Choice[str]  # the choices themselves are attached below
    return app_commands.Range[str, 1, option.max_length]  # Discord enforces it in its input box


def _plain(interaction: discord.Interaction, option: Option, value: Any) -> Any:
    if value is None:
        return None
    if option.kind == "channel":
        return channel_ref(interaction, value)
    if option.kind == "role":
        return role_ref(value)
    if isinstance(value, app_commands.Choice):
        return value.value
    return value


def _suggest(command: str, option: str) -> Suggest:
    async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        ctx = await client_of(interaction).command_context(interaction, datetime.now(UTC), with_notice=False)
        return [app_commands.Choice(name=v[:100], value=v[:100]) for v in autocomplete(command, option, ctx, current)]

    return complete


def app_command(spec: Command) -> app_commands.Command[Any, ..., None]:
    """One registry entry as a discord.py command (a leaf: a sub-command's group is built by `app_commands_for`)."""
    options = {o.name: o for o in spec.options}

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        plain = {name: _plain(interaction, options[name], value) for name, value in values.items()}
        await run_command(interaction, spec.name, **plain)

    parameters = [
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)
    ]
    for option in spec.options:  # discord.py reads the option schema from the callback's signature
        annotation = _annotation(option)
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation if option.required else annotation | None,
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = spec.name.replace(" ", "_")
    # Every name, description and choice label is a `locale_str`: the tree's translator (bot.discord.translator)
    # gives Discord its French and German when the commands are synced. The values stay English: the handlers'.
    if spec.options:
        app_commands.describe(**{name: locale_str(text) for name, text in spec.describe().items()})(callback)
        app_commands.rename(**{o.name: locale_str(o.name) for o in spec.options})(callback)
    for option in spec.options:
        if option.choices:
            choices = [app_commands.Choice(name=locale_str(c), value=c) for c in option.choices]
            app_commands.choices(**{option.name: choices})(callback)

    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=locale_str(spec.name.split()[-1]), description=locale_str(spec.description), callback=callback
    )
    for option in spec.options:
        if option.autocomplete is not None:
            command.autocomplete(option.name)(_suggest(spec.name, option.name))
    if " " not in spec.name:
        _gate(command, *_access([spec]))
    return command


def _access(specs: list[Command]) -> tuple[bool, bool, bool]:
    """(admin, guild_only, anywhere) of a top-level command: Discord has no permissions or contexts per
    sub-command."""
    admin, guild_only, anywhere = {s.admin for s in specs}, {s.guild_only for s in specs}, {s.anywhere for s in specs}
    if len(admin) > 1 or len(guild_only) > 1 or len(anywhere) > 1:
        raise ValueError(f"/{specs[0].name.split()[0]}: its sub-commands disagree on admin, guild_only or anywhere")
    access = admin.pop(), guild_only.pop(), anywhere.pop()
    if access[1] and access[2]:
        raise ValueError(f"/{specs[0].name.split()[0]}: guild_only and anywhere exclude each other")
    return access


def _gate(
    target: app_commands.Command[Any, ..., None] | app_commands.Group, admin: bool, guild_only: bool, anywhere: bool
) -> None:
    if admin:  # hidden from members without Manage Server; the handlers check again
        target.default_permissions = discord.Permissions(manage_guild=True)
    if guild_only:
        target.guild_only = True
        target.allowed_contexts = app_commands.AppCommandContext(guild=True)
        target.allowed_installs = app_commands.AppInstallationType(guild=True)
    if anywhere:  # installed to a server or to a member's account; in servers, DMs with the bot and group DMs
        target.allowed_installs = app_commands.AppInstallationType(guild=True, user=True)
        target.allowed_contexts = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)


def app_commands_for(registry: Registry = REGISTRY) -> list[app_commands.Command[Any, ..., None] | app_commands.Group]:
    """Every top-level app command of the registry, in its order; sub-commands inside their groups."""
    tops: dict[str, list[Command]] = {}
    for spec in registry:
        tops.setdefault(spec.name.split()[0], []).append(spec)
    built: list[app_commands.Command[Any, ..., None] | app_commands.Group] = []
    for top, specs in tops.items():
        if len(specs) == 1 and specs[0].name == top:
            built.append(app_command(specs[0]))
            continue
        group = app_commands.Group(name=locale_str(top), description=locale_str(registry.group_description(top)))
        _gate(group, *_access(specs))
        for spec in specs:
            group.add_command(app_command(spec))
        built.append(group)
    return built


__all__ = ["app_command", "app_commands_for", "channel_ref", "role_ref"]

"""Buttons and selects: the registry's component declarations as discord.py persistent items, and a `Reply`'s
action rows as a discord.py View made of them.

Each declared component (`bot.commands.registry.component`) becomes one `discord.ui.DynamicItem` class whose
template is the declaration's custom_id pattern: discord.py routes every press whose custom_id matches it to
`run_component`, whichever message (old, from before a restart, or sent by another shard's process) it is under.
A View built only of such items is "fully dynamic", so discord.py keeps nothing per message in memory.
"""

from __future__ import annotations

import re
import types
from typing import Any

import discord
from discord.ui import DynamicItem, Item

from bot.commands.registry import REGISTRY, Component, Registry
from bot.commands.replies import Button, LinkButton, Select
from bot.commands.replies import Component as Part

Pressed = type[DynamicItem[Any]]


def _pressed_class(spec: Component) -> Pressed:
    async def from_custom_id(
        cls: Pressed, interaction: discord.Interaction, item: Item[Any], match: re.Match[str], /
    ) -> DynamicItem[Any]:
        return cls(item)

    async def callback(self: DynamicItem[Any], interaction: discord.Interaction) -> None:
        from bot.discord.respond import run_component  # respond imports this module for `view_for`

        data: Any = interaction.data or {}
        values = [str(v) for v in data.get("values", [])]
        await run_component(interaction, self.custom_id, values)

    def body(namespace: dict[str, Any]) -> None:
        namespace["from_custom_id"] = classmethod(from_custom_id)
        namespace["callback"] = callback
        namespace["__doc__"] = spec.description

    name = "Pressed_" + re.sub(r"\W", "_", spec.name)
    base = DynamicItem[Item[Any]]
    created: Pressed = types.new_class(name, (base,), {"template": spec.pattern}, body)
    return created


def dynamic_items(registry: Registry = REGISTRY) -> dict[str, Pressed]:
    """One persistent item class per declared component, by component name (for `client.add_dynamic_items`)."""
    return {name: _pressed_class(spec) for name, spec in registry.components.items()}


DYNAMIC_ITEMS = dynamic_items()


def _item(part: Part, row: int) -> Item[Any]:
    if isinstance(part, LinkButton):  # Discord opens the url itself: nothing comes back to the bot
        return discord.ui.Button(style=discord.ButtonStyle.link, label=part.label, url=part.url, row=row)
    if isinstance(part, Button):
        emoji = part.emoji or None
        return discord.ui.Button(
            style=discord.ButtonStyle(part.style), label=part.label, emoji=emoji, custom_id=part.custom_id, row=row
        )
    assert isinstance(part, Select)
    options = [
        discord.SelectOption(label=label, value=value, default=value == part.default) for label, value in part.options
    ]
    return discord.ui.Select(custom_id=part.custom_id, placeholder=part.placeholder or None, options=options, row=row)


def view_for(rows: list[list[Part]]) -> discord.ui.View | None:
    """A reply's action rows as discord.py's View (None without any): what Discord receives is `Reply.payload()`."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(rows):
        for part in row:
            item = _item(part, index)
            pressed = None if isinstance(part, LinkButton) else DYNAMIC_ITEMS.get(part.custom_id.partition(":")[0])
            view.add_item(pressed(item) if pressed is not None else item)
    return view


__all__ = ["DYNAMIC_ITEMS", "dynamic_items", "view_for"]

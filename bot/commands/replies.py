"""Replies as Discord interaction-response data, and the text hygiene every reply goes through."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.dates import date_fields
from bot.i18n import N_, language, tr

EPHEMERAL = 64  # MessageFlags.ephemeral
COLOUR = 0xE8B04B  # warm lamplight, for the show's radio-in-the-dark mood
NO_PINGS: dict[str, list[str]] = {"parse": []}
_ZWSP = "\u200b"
INTERNAL_ERROR = N_("Something went wrong on my side. It has been logged; please try again in a moment.")
_THOUSANDS = {"en": ",", "fr": "\u202f", "de": "."}  # 5,000 / 5 000 (narrow no-break space) / 5.000


class UserError(Exception):
    """Bad input from a member: shown to them alone, friendly, and nothing changes."""


def neutralise(text: str, limit: int = 100) -> str:
    """User-supplied text made safe to echo: shortened, and unable to form a mention even if quoted elsewhere."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("@", "@" + _ZWSP).replace("<#", "<" + _ZWSP + "#")


def long_date(moment: datetime, locale: str | None = None) -> str:
    """ "Thursday 2 November 2023, 07:00" (wall time of `moment` as given) in the locale's language."""
    return tr(
        locale,
        "{weekday} {day} {month} {year}, {time}",
        **date_fields(moment, locale),
    )


def number(n: int, locale: str | None = None) -> str:
    """A whole number with the locale's thousands separator."""
    return f"{n:,}".replace(",", _THOUSANDS[language(locale)])


def either(items: list[str], locale: str | None = None) -> str:
    """ "a", "a or b", "a, b or c" in the locale's language."""
    if len(items) < 2:
        return "".join(items)
    return tr(locale, "{some} or {last}", some=", ".join(items[:-1]), last=items[-1])


def timestamp(moment: datetime, style: str = "F") -> str:
    """Discord timestamp markup: rendered in each reader's own time zone and language."""
    return f"<t:{int(moment.timestamp())}:{style}>"


@dataclass
class Embed:
    title: str
    description: str = ""
    fields: list[tuple[str, str, bool]] = field(default_factory=list)
    footer: str = ""
    moment: datetime | None = None  # shown by Discord in the reader's local time

    def add(self, name: str, value: str, inline: bool = False) -> Embed:
        if value:
            self.fields.append((name, value, inline))
        return self

    def to_dict(self) -> dict[str, Any]:
        # Key for key what discord.Embed.to_dict() produces, so the console prints what Discord receives.
        data: dict[str, Any] = {"title": self.title, "type": "rich", "color": COLOUR, "flags": 0}
        if self.description:
            data["description"] = self.description
        if self.fields:
            data["fields"] = [{"name": n, "value": v, "inline": i} for n, v, i in self.fields]
        if self.footer:
            data["footer"] = {"text": self.footer}
        if self.moment is not None:
            data["timestamp"] = self.moment.isoformat()
        return data


@dataclass(frozen=True)
class FileAttachment:
    """A file sent with a reply. On Discord it travels beside the JSON, as a multipart part (`files[N]`); Discord
    takes the file's type from its extension, so `content_type` is for the console and the command line."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class LinkButton:
    """A button that opens a web page (style 5); nothing comes back to the bot when it is clicked."""

    label: str  # at most 80 characters
    url: str  # at most 512 characters

    def to_dict(self) -> dict[str, Any]:
        return {"type": 2, "style": 5, "disabled": False, "label": self.label, "url": self.url}


SECONDARY = 2  # ButtonStyle.secondary: grey, for an offer rather than a call to action
DANGER = 4  # ButtonStyle.danger


@dataclass(frozen=True)
class Button:
    """A button whose press comes back as a component interaction with this `custom_id` (see registry.component)."""

    custom_id: str
    label: str
    emoji: str | None = None
    style: int = SECONDARY

    def to_dict(self) -> dict[str, Any]:
        # Key for key what discord.ui.Button.to_component_dict() produces.
        data: dict[str, Any] = {
            "type": 2,
            "style": self.style,
            "disabled": False,
            "label": self.label,
            "custom_id": self.custom_id,
        }
        if self.emoji:
            data["emoji"] = {"id": None, "name": self.emoji}
        return data


@dataclass(frozen=True)
class Select:
    """A menu of (label, value) options, one to pick; `default` is the value shown as chosen."""

    custom_id: str
    options: tuple[tuple[str, str], ...]
    placeholder: str = ""
    default: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # Key for key what discord.ui.Select.to_component_dict() produces.
        data: dict[str, Any] = {
            "type": 3,
            "custom_id": self.custom_id,
            "min_values": 1,
            "max_values": 1,
            "disabled": False,
            "required": True,
        }
        if self.placeholder:
            data["placeholder"] = self.placeholder
        data["options"] = [{"label": lb, "value": v, "default": v == self.default} for lb, v in self.options]
        return data


Component = Button | Select | LinkButton


@dataclass
class Reply:
    content: str | None = None
    embeds: list[Embed] = field(default_factory=list)
    ephemeral: bool = False
    components: list[list[Component]] = field(default_factory=list)  # action rows, at most 5
    files: list[FileAttachment] = field(default_factory=list)
    links: list[LinkButton] = field(default_factory=list)

    def rows(self) -> list[list[Component]]:
        """The action rows: the link buttons' row (up to 5 links), then the components'."""
        links: list[Component] = list(self.links)
        return ([links] if links else []) + self.components

    def payload(self) -> dict[str, Any]:
        """The `data` of the interaction response, as discord.py serialises it (with files, its `payload_json`)."""
        data: dict[str, Any] = {
            "content": self.content,
            "embeds": [e.to_dict() for e in self.embeds],
            "tts": False,
            "allowed_mentions": dict(NO_PINGS),
        }
        rows = self.rows()
        if rows:
            data["components"] = [{"type": 1, "components": [c.to_dict() for c in row]} for row in rows]
        if self.files:  # metadata only; the bytes are the multipart parts files[0], files[1]…
            data["attachments"] = [{"id": index, "filename": f.filename} for index, f in enumerate(self.files)]
        if self.ephemeral:
            data["flags"] = EPHEMERAL
        return data


def error_reply(message: str) -> Reply:
    return Reply(content=f"⚠️ {message}", ephemeral=True)

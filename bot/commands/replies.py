"""Replies as Discord interaction-response data, and the text hygiene every reply goes through."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

EPHEMERAL = 64  # MessageFlags.ephemeral
COLOUR = 0xE8B04B  # warm lamplight, for the show's radio-in-the-dark mood
NO_PINGS: dict[str, list[str]] = {"parse": []}
_ZWSP = "\u200b"
INTERNAL_ERROR = "Something went wrong on my side. It has been logged; please try again in a moment."


class UserError(Exception):
    """Bad input from a member: shown to them alone, friendly, and nothing changes."""


def neutralise(text: str, limit: int = 100) -> str:
    """User-supplied text made safe to echo: shortened, and unable to form a mention even if quoted elsewhere."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("@", "@" + _ZWSP).replace("<#", "<" + _ZWSP + "#")


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


@dataclass
class Reply:
    content: str | None = None
    embeds: list[Embed] = field(default_factory=list)
    ephemeral: bool = False
    files: list[FileAttachment] = field(default_factory=list)
    links: list[LinkButton] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """The `data` of the interaction response, as discord.py serialises it (with files, its `payload_json`)."""
        data: dict[str, Any] = {
            "content": self.content,
            "embeds": [e.to_dict() for e in self.embeds],
            "tts": False,
            "allowed_mentions": dict(NO_PINGS),
        }
        if self.links:  # one action row holds up to 5 buttons
            buttons = [
                {"type": 2, "style": 5, "disabled": False, "label": link.label, "url": link.url} for link in self.links
            ]
            data["components"] = [{"type": 1, "components": buttons}]
        if self.files:  # metadata only; the bytes are the multipart parts files[0], files[1]…
            data["attachments"] = [{"id": index, "filename": f.filename} for index, f in enumerate(self.files)]
        if self.ephemeral:
            data["flags"] = EPHEMERAL
        return data


def error_reply(message: str) -> Reply:
    return Reply(content=f"⚠️ {message}", ephemeral=True)

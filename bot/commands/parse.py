"""Command lines as Discord's own input box shows it: `/cast name:"Hugh Laurie"`."""

from __future__ import annotations

import re
import shlex

from bot.commands.replies import UserError

_OPTION = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*:")  # `name:` starts an option; "20:00" does not


def parse_command_line(line: str) -> tuple[str, dict[str, str]]:
    """`/announce setup channel:#general` -> ("announce setup", {"channel": "#general"})."""
    text = line.strip()
    if not text.startswith("/"):
        raise UserError("Commands start with `/`, e.g. `/countdown` or `/premiere timezone:Europe/Paris`.")
    try:
        words = shlex.split(text[1:])
    except ValueError:
        raise UserError("A quote is not closed: write values with spaces as name:\"Hugh Laurie\".") from None
    name: list[str] = []
    options: dict[str, str] = {}
    while words:
        word = words.pop(0)
        key, colon, value = word.partition(":")
        if not colon:
            if options:
                raise UserError(f"“{word[:50]}” has no `name:` in front of it; write option:value.")
            name.append(word.lower())
            continue
        if not value and words and not _OPTION.match(words[0]):
            value = words.pop(0)  # `timezone: Europe/Paris`: a space after the colon, as people type it
        if key in options:
            raise UserError(f"The option `{key[:32]}` is given twice.")
        options[key] = value
    if not name:
        raise UserError("Which command? Try `/help`.")
    return " ".join(name), options


def command_name(line: str) -> str:
    """The command a line names, as far as it can be read: for reporting a line that does not parse."""
    name: list[str] = []
    for word in line.strip().removeprefix("/").split():
        if any(c in word for c in ":\"'"):
            break
        name.append(word.lower())
    return " ".join(name)

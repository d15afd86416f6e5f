"""The console's command-line syntax, as Discord's own input box shows it: `/cast name:"Hugh Laurie"`."""

from __future__ import annotations

import shlex

from bot.commands.replies import UserError


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
    for word in words:
        key, colon, value = word.partition(":")
        if not colon:
            if options:
                raise UserError(f"“{word[:50]}” has no `name:` in front of it; write option:value.")
            name.append(word.lower())
            continue
        if key in options:
            raise UserError(f"The option `{key[:32]}` is given twice.")
        options[key] = value
    if not name:
        raise UserError("Which command? Try `/help`.")
    return " ".join(name), options

"""A slash command typed as in Discord's input box: `/premiere timezone: Europe/Paris`, `/cast name:"Hugh Laurie"`.

The control API turns such a line into the INTERACTION_CREATE Discord would send; this module only splits it into
the command's name and its options' raw values.
"""

from __future__ import annotations

import re

_OPTION = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*:")  # `name:` starts an option; "20:00" does not


class CommandLineError(ValueError):
    """A line Discord's input box would not turn into a command (no `/`, an unclosed quote, a value with no name)."""


def _words(text: str) -> list[tuple[str, bool]]:
    """Split on spaces, quotes grouping words as in a shell. Each word comes with whether it ends in a colon
    outside quotes (`timezone:`), whose value is then the next word, as Discord's box allows a space there."""
    words: list[tuple[str, bool]] = []
    current: list[str] = []
    quote: str | None = None
    in_word = open_colon = False
    for char in text:
        if quote is not None:
            if char == quote:
                quote = None
            else:
                current.append(char)
        elif char.isspace():
            if in_word:
                words.append(("".join(current), open_colon))
                current, in_word = [], False
        else:
            in_word = True
            if char in "\"'":
                quote, open_colon = char, False
            else:
                current.append(char)
                open_colon = char == ":"
    if quote is not None:
        raise CommandLineError('A quote is not closed: write values with spaces as name:"Hugh Laurie".')
    if in_word:
        words.append(("".join(current), open_colon))
    return words


def parse_command_line(line: str) -> tuple[str, dict[str, str]]:
    """`/announce setup channel: #general` -> ("announce setup", {"channel": "#general"})."""
    text = line.strip()
    if not text.startswith("/"):
        raise CommandLineError("Commands start with `/`, e.g. `/countdown` or `/premiere timezone:Europe/Paris`.")
    words = _words(text[1:])
    name: list[str] = []
    options: dict[str, str] = {}
    index = 0
    while index < len(words):
        word, open_colon = words[index]
        index += 1
        key, colon, value = word.partition(":")
        if not colon:
            if options:
                raise CommandLineError(f"“{word[:50]}” has no `name:` in front of it; write option:value.")
            name.append(word.lower())
            continue
        if open_colon and value == "" and index < len(words) and not _OPTION.match(words[index][0]):
            # `timezone: Europe/Paris`, unless the next word is itself an option (`name: release:x`)
            value = words[index][0]
            index += 1
        if key in options:
            raise CommandLineError(f"The option `{key[:32]}` is given twice.")
        options[key] = value
    if not name:
        raise CommandLineError("Which command? Try `/help`.")
    return " ".join(name), options

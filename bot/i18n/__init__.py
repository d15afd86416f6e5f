"""Messages in the reader's language: English (the source text), French and German, from gettext catalogues.

Every user-facing string goes through one of these, with the English text itself as the message id:

    tr(locale, "Reminder set for {release}.", release=name)          # a sentence
    ntr(locale, "{n} day", "{n} days", 3)                             # a count: each language's plural rule
    ptr(locale, "command name", "countdown")                          # a word that needs a context
    nptr(locale, "relative", "{n} day", "{n} days", 3)                 # a count that needs a context
    N_("text")                                                        # marks a constant, translated where used

`locale` is Discord's (`"fr"`, `"de"`, `"en-US"`, `"pt-BR"`, ...) or None; languages we do not speak fall back to
English, and so does a message that is untranslated or whose translation does not fit its fields — never an error.
The catalogues are `locales/<lang>/LC_MESSAGES/release-bot.po`, compiled to `.mo` beside them; run
`python -m bot.i18n.catalogue update` after changing a message (it extracts, merges and compiles; see docs there).

This module imports nothing of the bot and only the standard library: the domain uses it for countdown words.
"""

from __future__ import annotations

import gettext
import logging
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LANGUAGES = ("en", "fr", "de")  # English is the source text: it has no catalogue
DOMAIN = "release-bot"
LOCALE_DIR = Path(__file__).parent / "locales"
NAME_CONTEXT = "command name"  # command, group and option names: Discord's name rules apply to their translations
CHOICE_CONTEXT = "choice"  # the label of a fixed choice in an option's menu


def N_(message: str) -> str:
    """Marks a constant for extraction; translate it where it is shown, with `tr(locale, CONSTANT)`."""
    return message


def is_valid_name(name: str) -> bool:
    """Discord's rule for a slash command's (or option's) name in any locale: 1-32 lower-case letters, digits,
    "-" or "_" (`^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`, lower case where a letter has cases)."""
    return (
        1 <= len(name) <= 32
        and name == name.lower()
        and all(c in "-_" or unicodedata.category(c)[0] in "LN" for c in name)
    )


def language(locale: str | None) -> str:
    """The language we answer in for a Discord locale: "fr" and "fr-CA" -> "fr", "de" -> "de", else "en"."""
    base = str(locale or "").split("-")[0].lower()
    return base if base in LANGUAGES else "en"


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    try:
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])
    except OSError:  # a missing or damaged catalogue: English, and the operator is told once
        log.warning("no %s catalogue in %s: answering in English", lang, LOCALE_DIR)
        return gettext.NullTranslations()


def _format(text: str, english: str, fields: dict[str, Any]) -> str:
    if not fields:
        return text
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):  # a translation that names a field the message lacks
        log.warning("translation of %r does not fit its fields: English instead", english)
        return english.format(**fields)


def tr(locale: str | None, message: str, /, **fields: Any) -> str:
    """`message` in the locale's language, its `{fields}` filled in."""
    return _format(_catalogue(language(locale)).gettext(message), message, fields)


def ntr(locale: str | None, singular: str, plural: str, n: int, /, **fields: Any) -> str:
    """The form of a counted message for `n` in the locale's language; `{n}` is filled in with the others."""
    fields = {"n": n, **fields}
    english = singular if n == 1 else plural
    return _format(_catalogue(language(locale)).ngettext(singular, plural, n), english, fields)


def ptr(locale: str | None, context: str, message: str, /, **fields: Any) -> str:
    """Like `tr`, for a message whose translation depends on where it is used (e.g. context "command name")."""
    return _format(_catalogue(language(locale)).pgettext(context, message), message, fields)


def nptr(locale: str | None, context: str, singular: str, plural: str, n: int, /, **fields: Any) -> str:
    """Like `ntr`, with a context: the same count worded differently where it is used (German "3 Tage" on its
    own, "in 3 Tagen" after a preposition)."""
    fields = {"n": n, **fields}
    english = singular if n == 1 else plural
    return _format(_catalogue(language(locale)).npgettext(context, singular, plural, n), english, fields)

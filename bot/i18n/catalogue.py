"""The translators' tool: extract every message, merge it into the French and German catalogues, compile them.

    python -m bot.i18n.catalogue update   # after changing or adding a message: new ones appear untranslated
    python -m bot.i18n.catalogue check    # what the tests assert: every message translated, .mo files current

Messages come from two places: the source (calls of `tr`, `ntr`, `ptr` and `N_`, found by Babel) and the command
registry (command, group and option names with the context "command name", descriptions, choices), which is why
this one tool of the i18n package imports the commands. Babel is a development dependency (the `test` extra): the
running bot reads the compiled `.mo` files with the standard library's gettext.
"""

from __future__ import annotations

import gettext
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import CHOICE_CONTEXT, DOMAIN, LANGUAGES, LOCALE_DIR, NAME_CONTEXT

PACKAGE = Path(__file__).resolve().parents[1]
KEYWORDS = {"tr": (2,), "ntr": (2, 3), "ptr": ((2, "c"), 3), "nptr": ((2, "c"), 3, 4), "N_": None}
METHODS = [("sandbox/**.py", "ignore"), ("i18n/**.py", "ignore"), ("**.py", "python")]
# Fixed dates: the files change only when a message does (no churn, no merge conflicts over a timestamp).
FIXED_DATE = datetime(2026, 11, 26, tzinfo=UTC)


def _new_catalog(locale: str | None = None) -> Catalog:
    return Catalog(
        locale=locale,
        project="release-bot",
        version="0",
        copyright_holder="the release-bot authors (MIT)",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        fuzzy=False,
    )


FIELD = re.compile(r"(?<!\{)\{(\w*)[^{}]*\}")


def registry_messages() -> Iterator[tuple[str, str | None]]:
    """(message, context) for everything Discord shows of the commands, in the registry's order."""
    import bot.commands  # noqa: F401  (importing the modules registers the commands)
    from bot.commands.registry import REGISTRY

    for name, description in REGISTRY.groups.items():
        yield name, NAME_CONTEXT
        yield description, None
    for spec in REGISTRY:
        yield spec.name.split(" ")[-1], NAME_CONTEXT
        yield spec.description, None
        for option in spec.options:
            yield option.name, NAME_CONTEXT
            yield option.description, None
            for choice in option.choices:
                yield choice, CHOICE_CONTEXT


def template() -> Catalog:
    """Every message the bot can show, English only."""
    catalog = _new_catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE, METHODS, keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True
    ):
        catalog.add(message, locations=[(f"bot/{filename}", lineno)], auto_comments=comments, context=context)
    for message, context in registry_messages():
        catalog.add(message, context=context, locations=[("bot/commands/registry.py", 0)])
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return _new_catalog(lang)
    with path.open("rb") as file:
        return read_po(file, locale=lang)


def update() -> None:
    pot = template()
    for lang in LANGUAGES[1:]:
        catalog = read(lang)
        catalog.update(pot, no_fuzzy_matching=True)  # a guessed translation is worse than English
        catalog.obsolete.clear()
        catalog.creation_date = catalog.revision_date = FIXED_DATE
        po_path(lang).parent.mkdir(parents=True, exist_ok=True)
        with po_path(lang).open("wb") as file:
            write_po(file, catalog, width=120, omit_header=False, sort_output=False, include_previous=False)
        with po_path(lang).with_suffix(".mo").open("wb") as file:
            write_mo(file, catalog)
        messages = [m for m in catalog if m.id]
        missing = sum(1 for m in messages if not _translated(m))
        print(f"{lang}: {len(messages)} messages, {missing} untranslated ({po_path(lang)})")


def _strings(text: object) -> tuple[str, ...]:
    """A message's id or translation as a tuple: one text, or one per plural form."""
    return tuple(str(t) for t in text) if isinstance(text, (tuple, list)) else (str(text or ""),)


def _translated(message: Message) -> bool:
    return not message.fuzzy and all(_strings(message.string))


def _fields(text: str) -> set[str]:
    return set(FIELD.findall(text))


def problems() -> list[str]:
    """What is wrong with the catalogues: untranslated messages, fields that differ, stale .mo files."""
    found: list[str] = []
    pot = template()
    for lang in LANGUAGES[1:]:
        catalog = read(lang)
        compiled = _compiled(lang)
        for wanted in pot:
            if not wanted.id:
                continue
            have = catalog.get(wanted.id, context=wanted.context)
            label = f"{lang}: {wanted.id!r}" + (f" ({wanted.context})" if wanted.context else "")
            if have is None or not _translated(have):
                found.append(f"{label} is not translated")
                continue
            ids, strings = _strings(wanted.id), _strings(have.string)
            english_fields = set().union(*(_fields(i) for i in ids))
            for string in strings:
                if _fields(string) - english_fields:
                    found.append(f"{label}: the translation names fields the message lacks: {string!r}")
            key = ids[0] if wanted.context is None else f"{wanted.context}\x04{ids[0]}"
            if compiled is None or (key if len(ids) == 1 else (key, 0)) not in compiled:
                found.append(f"{label}: the .mo file is older than the .po (run `python -m bot.i18n.catalogue update`)")
    return found


def _compiled(lang: str) -> dict[object, str] | None:
    try:
        with po_path(lang).with_suffix(".mo").open("rb") as file:
            return gettext.GNUTranslations(file)._catalog  # type: ignore[attr-defined,no-any-return]
    except OSError:
        return None


def main(argv: list[str]) -> int:
    if argv == ["update"]:
        update()
        return 0
    if argv == ["check"]:
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Languages: every message in English, French and German, and nothing untranslated ever becomes an error."""

from __future__ import annotations

import gettext

import pytest

from bot import i18n
from bot.i18n import catalogue, is_valid_name, language, ntr, ptr, tr


def test_every_message_is_translated_into_french_and_german_and_compiled() -> None:
    # The messages are extracted from the source and the command registry as `update` does; a new message
    # without its two translations (or a .mo not recompiled) fails here, listed one per line.
    assert catalogue.problems() == []


def test_discord_locales_map_to_the_languages_we_speak() -> None:
    assert [language(x) for x in ("fr", "de", "en-US", "en-GB", "pt-BR", None, "")] == [
        "fr",
        "de",
        "en",
        "en",
        "en",
        "en",
        "en",
    ]


def test_a_language_we_do_not_speak_and_an_unknown_message_fall_back_to_english() -> None:
    assert tr("ja", "{n} things left", n=3) == "3 things left"
    assert tr("fr", "A message nobody translated, {who}", who="Marie") == "A message nobody translated, Marie"
    assert ntr("de", "{n} unheard-of thing", "{n} unheard-of things", 2) == "2 unheard-of things"
    assert ptr("fr", "nowhere", "plain") == "plain"


class _Broken(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return "Traduction avec {un_champ_inconnu}"


def test_a_translation_that_names_a_missing_field_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_catalogue", lambda lang: _Broken())
    assert tr("fr", "Hello {name}", name="Marie") == "Hello Marie"


@pytest.mark.parametrize("name", ["countdown", "compte-à-rebours", "rappel_1", "erinnerung"])
def test_valid_discord_names(name: str) -> None:
    assert is_valid_name(name)


@pytest.mark.parametrize("name", ["", "Countdown", "compte à rebours", "x" * 33, "rappel!", "Erinnerung"])
def test_invalid_discord_names(name: str) -> None:
    assert not is_valid_name(name)

"""Languages: every message in English, French and German, and nothing untranslated ever becomes an error."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot import i18n
from bot.commands.registry import REGISTRY, CommandContext, Option, command, dispatch, localized_name
from bot.commands.replies import Reply
from bot.domain.countdown import countdown, span_words
from bot.i18n import LANGUAGES, NAME_CONTEXT, catalogue, is_valid_name, language, ntr, ptr, tr


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


# --- The bot's words in French and German: plurals, whole sentences, and names Discord accepts ---------------------

PREMIERE = datetime(2023, 11, 2, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lang", "left", "words"),
    [
        ("en", timedelta(days=1, hours=2), "1 day, 2 hours"),
        ("fr", timedelta(days=1, hours=2), "1 jour, 2 heures"),
        ("de", timedelta(days=1, hours=2), "1 Tag, 2 Stunden"),
        ("fr", timedelta(days=7), "7 jours"),
        ("de", timedelta(days=7), "7 Tage"),
        ("de", timedelta(hours=1, minutes=1), "1 Stunde, 1 Minute"),
        ("fr", timedelta(seconds=1), "1 seconde"),
    ],
)
def test_countdown_words_are_pluralised_in_each_language(lang: str, left: timedelta, words: str) -> None:
    assert span_words(PREMIERE - left, PREMIERE, locale=lang) == words
    assert countdown(PREMIERE, PREMIERE - left).words_in(lang) == words


def test_after_in_or_ago_german_counts_take_the_dative() -> None:
    left = PREMIERE - timedelta(days=3, hours=1)
    assert span_words(left, PREMIERE, locale="de") == "3 Tage, 1 Stunde"
    assert span_words(left, PREMIERE, locale="de", relative=True) == "3 Tagen, 1 Stunde"
    assert tr("de", "{words} ago", words=span_words(left, PREMIERE, locale="de", relative=True)) == (
        "vor 3 Tagen, 1 Stunde"
    )
    assert span_words(left, PREMIERE, locale="fr", relative=True) == "3 jours, 1 heure"
    assert span_words(left, PREMIERE, relative=True) == "3 days, 1 hour"


def test_a_past_premiere_is_one_sentence_in_each_language(config) -> None:
    release = config.catalogue.featured  # 4 episodes on Netflix
    state = countdown(PREMIERE, datetime(2026, 11, 25, 7, 0, 5, tzinfo=UTC))
    assert state.sentence(release, "fr") == (
        "première il y a 3 ans, 23 jours — les 4 épisodes sont en streaming sur Netflix"
    )
    assert state.sentence(release, "de") == (
        "Premiere ist 3 Jahre, 23 Tage her — alle 4 Folgen laufen im Stream auf Netflix"
    )
    assert state.sentence(release) == "premiered 3 years, 23 days ago — all 4 episodes are streaming on Netflix"
    assert countdown(PREMIERE, PREMIERE - timedelta(days=7)).sentence(release, "de") == "noch 7 Tage"


def _translated_names(lang: str) -> dict[str, str]:
    catalog = catalogue.read(lang)
    return {m.id: m.string for m in catalog if m.id and m.context == NAME_CONTEXT}


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_translated_command_name_is_valid_for_discord(lang: str) -> None:
    names = _translated_names(lang)
    assert names, "no command names in the catalogue"
    assert {english: name for english, name in names.items() if not is_valid_name(name)} == {}


def _siblings() -> list[tuple[str, list[str]]]:
    """Every set of names Discord requires to be unique: the top-level commands and groups, each group's
    sub-commands, each command's options."""
    tops = list(dict.fromkeys(spec.name.split()[0] for spec in REGISTRY))
    sets = [("top level", tops)]
    for top in tops:
        subs = [spec.name.split()[1] for spec in REGISTRY if spec.name.startswith(top + " ")]
        if subs:
            sets.append((f"/{top}", subs))
    sets += [(f"/{spec.name} options", [o.name for o in spec.options]) for spec in REGISTRY if spec.options]
    return sets


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translated_names_are_unique_among_their_siblings(lang: str) -> None:
    for where, names in _siblings():
        shown = [localized_name(lang, name) for name in names]
        assert len(set(shown)) == len(shown), (where, shown)


def test_names_are_translated_where_the_catalogue_says_so() -> None:
    assert localized_name("fr", "countdown") == "compte-à-rebours"
    assert localized_name("de", "remind") == "erinnerung"
    assert localized_name("ja", "remind") == "remind"


@pytest.fixture
def broken_command() -> Iterator[str]:
    """A throw-away command with a boolean and a choice, whose handler fails when asked to."""

    @command(
        "broken",
        "Fails on request",
        Option("flag", "A yes or no", kind="boolean"),
        Option("size", "A size", choices=("small", "large")),
    )
    async def broken(ctx: CommandContext, flag: bool = False, size: str | None = None) -> Reply:
        if flag:
            raise RuntimeError("a bug")
        return Reply(content="fine")

    try:
        yield "broken"
    finally:
        del REGISTRY.commands["broken"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            [
                "⚠️ `/distribution` n'a pas d'option `colour` (ses options\u00a0: nom, sortie).",
                "⚠️ Il n'y a pas de commande `/nope` ici. Essaie `/aide` pour voir ce que je sais faire.",
                "⚠️ `flag` vaut True ou False, pas «\u00a0peut-être\u00a0».",
                "⚠️ `size` vaut une de ces valeurs\u00a0: `small`, `large`.",
                "⚠️ Quelque chose s'est mal passé de mon côté. C'est noté\u00a0; réessaie dans un instant.",
            ],
        ),
        (
            "de",
            [
                "⚠️ `/besetzung` hat keine Option `colour` (seine Optionen: name, titel).",
                "⚠️ Hier gibt es keinen Befehl `/nope`. Probier `/hilfe`, um zu sehen, was ich kann.",
                "⚠️ `flag` ist True oder False, nicht „peut-être“.",
                "⚠️ `size` ist einer dieser Werte: `small`, `large`.",
                "⚠️ Bei mir ist etwas schiefgelaufen. Es wurde protokolliert; versuch es bitte gleich noch einmal.",
            ],
        ),
    ],
)
async def test_dispatchs_errors_are_in_the_members_language(
    config, broken_command: str, lang: str, expected: list[str]
) -> None:
    ctx = CommandContext(config.catalogue, config.settings, PREMIERE, locale=lang)
    replies = [
        await dispatch("cast", {"colour": "red"}, ctx),
        await dispatch("nope", {}, ctx),
        await dispatch("broken", {"flag": "peut-être"}, ctx),
        await dispatch("broken", {"size": "huge"}, ctx),
        await dispatch("broken", {"flag": True}, ctx),
    ]
    assert [r.content for r in replies] == expected
    assert all(r.ephemeral for r in replies)


class _Careless(gettext.NullTranslations):
    """A translator's slip: a command name with capitals and a space, and a description too long for Discord."""

    def pgettext(self, context: str, message: str) -> str:
        return "Compte à rebours" if context == NAME_CONTEXT else message

    def gettext(self, message: str) -> str:
        return "x" * 101


async def test_the_translator_leaves_out_what_discord_would_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    from discord import Locale
    from discord.app_commands import TranslationContext, TranslationContextLocation, locale_str

    from bot.discord.translator import CatalogueTranslator

    translator = CatalogueTranslator()
    name = TranslationContext(TranslationContextLocation.command_name, None)
    description = TranslationContext(TranslationContextLocation.command_description, None)
    assert await translator.translate(locale_str("countdown"), Locale.french, name) == "compte-à-rebours"
    assert await translator.translate(locale_str("countdown"), Locale.japanese, name) is None
    monkeypatch.setattr(i18n, "_catalogue", lambda lang: _Careless())
    assert await translator.translate(locale_str("countdown"), Locale.french, name) is None
    assert await translator.translate(locale_str("What this bot can do"), Locale.german, description) is None


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "give my role **release-bot** the **Manage Roles** permission"),
        ("fr", "Gérer les rôles"),
        ("de", "Rollen verwalten"),
    ],
)
def test_the_get_pinged_advice_at_setup_is_in_the_admins_language(lang: str, expected: str) -> None:
    from bot.commands.ping_role import role_advice
    from bot.commands.services import RoleAccess

    no_manage_roles = RoleAccess(manage_roles=False, below_bot=True, bot_role="release-bot")
    advice = role_advice(no_manage_roles, 42, lang)
    assert expected in advice and "<@&42>" in advice
    admin_role = RoleAccess(True, True, "release-bot", elevated=("Administrator",))
    unsafe = role_advice(admin_role, 42, lang)
    assert "**Administrator**" in unsafe
    assert (unsafe == role_advice(admin_role, 42, "en")) == (lang == "en")  # translated, not left in English

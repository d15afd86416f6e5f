"""The words of channel posts, live messages, server events, calendar files and /release refusals in English, French
and German: correct plurals, the release's own words kept as written, English for any other language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.domain.calendar import build_ics, google_calendar_link
from bot.domain.live import live_card
from bot.domain.plan import PlannedPost, post_label, post_text, sample_post
from bot.domain.server_releases import BadReleaseInput, clean_name, parse_when
from bot.scheduling.events import event_spec, long_date, marker

TITLE = "**All the Light We Cannot See**"
STAMP = "<t:1698908400:F> (<t:1698908400:R>)"


@pytest.mark.parametrize(
    ("locale", "before", "text"),
    [
        (None, timedelta(days=1, hours=2), f"📣 {TITLE} premieres on Netflix in 1 day, 2 hours: {STAMP}"),
        ("fr", timedelta(days=1, hours=2), f"📣 {TITLE} sort sur Netflix dans 1 jour, 2 heures : {STAMP}"),
        ("fr", timedelta(days=7), f"📣 {TITLE} sort sur Netflix dans 7 jours : {STAMP}"),
        ("de", timedelta(days=1, hours=2), f"📣 {TITLE} startet in 1 Tag, 2 Stunden auf Netflix: {STAMP}"),
        ("de", timedelta(days=7), f"📣 {TITLE} startet in 7 Tagen auf Netflix: {STAMP}"),  # the dative after "in"
        ("pt-BR", timedelta(days=7), f"📣 {TITLE} premieres on Netflix in 7 days: {STAMP}"),  # not ours: English
    ],
)
def test_a_milestone_post_in_the_servers_language(config, locale: str | None, before: timedelta, text: str) -> None:
    release = config.catalogue.featured
    assert post_text(release, sample_post(release, release.release_at - before), locale=locale) == text


@pytest.mark.parametrize(
    ("locale", "daily", "premiere", "late"),
    [
        (
            "fr",
            f"⏳ Plus que 2 jours : {TITLE} sort sur Netflix — {STAMP}",
            f"🎬 {TITLE} est disponible — les 4 épisodes sont en streaming sur Netflix !",
            "\n-# publié en retard : le bot était hors ligne",
        ),
        (
            "de",
            f"⏳ Noch 2 Tage – {TITLE} startet auf Netflix: {STAMP}",
            f"🎬 {TITLE} ist jetzt da — alle 4 Folgen laufen im Stream auf Netflix!",
            "\n-# verspätet gepostet: Der Bot war offline",
        ),
    ],
)
def test_daily_premiere_and_late_posts(config, locale: str, daily: str, premiere: str, late: str) -> None:
    release = config.catalogue.featured
    day = PlannedPost(release.release_at - timedelta(days=2), "daily", "daily:2023-10-31", "daily 20:00")
    out = PlannedPost(release.release_at, "premiere", "premiere", "premiere")
    assert post_text(release, day, locale=locale) == daily
    assert post_text(release, out, locale=locale) == premiere
    assert post_text(release, out, locale=locale, late=True) == premiere + late


def test_post_labels_for_the_admins_status(config) -> None:
    release = config.catalogue.featured
    week = sample_post(release, release.release_at - timedelta(days=7))
    day = PlannedPost(release.release_at - timedelta(days=2), "daily", "daily:2023-10-31", "daily 20:00")
    assert [post_label(release, p, "fr") for p in (week, day)] == ["7 jours avant", "chaque jour à 20:00"]
    assert [post_label(release, p, "de") for p in (week, day)] == ["7 Tage vorher", "täglich um 20:00"]
    assert [post_label(release, p) for p in (week, day)] == [week.label, day.label]  # English: the operator's


def test_the_live_message_in_the_servers_language(config) -> None:
    release = config.catalogue.featured
    card = live_card(release, "milestone:1d", "fr")
    assert card.description == f"⏳ {TITLE} sort <t:1698908400:R>\n<t:1698908400:F>"
    assert card.footer == "Compte à rebours en direct : encore 1 jour à la dernière mise à jour"
    card = live_card(release, "milestone:7d", "de")
    assert card.footer == "Live-Countdown: noch 7 Tage bei der letzten Aktualisierung"
    assert card.title == release.title  # the release's name, as written
    assert live_card(release, "premiere", "de").footer == "Jetzt verfügbar"


def test_a_server_event_in_the_servers_language_keeps_its_marker(config) -> None:
    release = config.catalogue.featured
    german = event_spec(release, "de").description
    assert german.startswith(
        "Countdown für All the Light We Cannot See: startet am Donnerstag, 2. November 2023, 07:00 UTC.\n\n"
    )
    assert release.logline in german  # the catalogue's words, as written
    assert german.endswith("\n\n" + marker(release.id))  # found again after a crash, whatever the language
    french = event_spec(release, "fr").description
    assert french.startswith("Compte à rebours pour All the Light We Cannot See : sort le jeudi 2 novembre 2023, ")
    assert long_date(datetime(2027, 3, 15, 20, tzinfo=UTC)) == "Monday 15 March 2027, 20:00 UTC"


def test_a_calendar_file_in_the_members_language(config) -> None:
    release = config.catalogue.featured
    now = release.release_at - timedelta(days=3)
    [event] = Calendar.from_ical(build_ics(release, now, "fr")).walk("VEVENT")
    assert "Où regarder : Netflix" in str(event["DESCRIPTION"])
    [alarm] = event.walk("VALARM")
    assert str(alarm["DESCRIPTION"]) == "All the Light We Cannot See sort dans 1 heure"
    [event] = Calendar.from_ical(build_ics(release, now, "de")).walk("VEVENT")
    assert str(event.walk("VALARM")[0]["DESCRIPTION"]) == "All the Light We Cannot See startet in 1 Stunde"
    assert "Wo+zu+sehen" in google_calendar_link(release, locale="de")


@pytest.mark.parametrize(
    ("locale", "typed", "refusal"),
    [
        ("fr", "03/04/2027", "`03/04/2027` peut se lire jour/mois ou mois/jour."),
        ("de", "03/04/2027", "`03/04/2027` kann Tag/Monat oder Monat/Tag sein."),
        ("fr", "2040-01-01", "C'est dans plus de dix ans ; indique une date plus proche."),
        ("de", "tomorrow-ish", "Ich kann „tomorrow-ish“ nicht als Datum lesen."),
        (None, "2020-01-01", "That is in the past (<t:1577836800:F>)."),
    ],
)
def test_release_refusals_in_the_members_language(locale: str | None, typed: str, refusal: str) -> None:
    with pytest.raises(BadReleaseInput) as caught:
        parse_when(typed, ZoneInfo("UTC"), datetime(2026, 11, 26, tzinfo=UTC), locale)
    assert str(caught.value).startswith(refusal)


def test_a_long_name_is_refused_with_the_count_written_for_the_language() -> None:
    with pytest.raises(BadReleaseInput, match=r"^The name is 5,000 characters long; at most 100 fit\.$"):
        clean_name("x" * 5000)
    with pytest.raises(BadReleaseInput, match=r"^Der Name ist 5000 Zeichen lang; höchstens 100 passen\.$"):
        clean_name("x" * 5000, "de")

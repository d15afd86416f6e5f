"""Command, group and option names, descriptions and choice labels in French and German, for Discord's menus.

discord.py asks the tree's translator for every `locale_str` of every command when it syncs, once per Discord
locale; what it returns becomes `name_localizations` / `description_localizations` in the registration, and Discord
shows each member their own language. The messages are the registry's, translated in the gettext catalogues.
"""

from __future__ import annotations

from discord import Locale, app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.commands.registry import localized_name
from bot.i18n import CHOICE_CONTEXT, language, ptr, tr

NAMES = (Where.command_name, Where.group_name, Where.parameter_name)
DESCRIPTION_LIMIT = 100  # Discord's, for command and option descriptions and for choice labels


class CatalogueTranslator(app_commands.Translator):
    async def translate(
        self, string: app_commands.locale_str, locale: Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        """The translation, or None (Discord then shows the English text) for a language we do not speak, a
        message nobody translated, or a translation Discord would refuse (a name breaking its rules)."""
        lang = language(locale.value)
        if lang == "en":
            return None
        english = string.message
        if context.location in NAMES:
            translated = localized_name(lang, english)  # English when the translation breaks Discord's name rule
        elif context.location is Where.choice_name:
            translated = ptr(lang, CHOICE_CONTEXT, english)
        else:
            translated = tr(lang, english)
        if translated == english or not 1 <= len(translated) <= DESCRIPTION_LIMIT:
            return None
        return translated

"""Command, group and option names, descriptions and choice labels in French and German, for Discord's menus.

discord.py asks the tree's translator for every `locale_str` of every command when it syncs, once per Discord
locale; what it returns becomes `name_localizations` / `description_localizations` in the registration, and Discord
shows each member their own language. The messages are the registry's, translated in the gettext catalogues.
"""

from __future__ import annotations

from discord import Locale, app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import CHOICE_CONTEXT, NAME_CONTEXT, is_valid_name, language, ptr, tr

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
            translated = ptr(lang, NAME_CONTEXT, english)
            valid = is_valid_name(translated)
        elif context.location is Where.choice_name:
            translated = ptr(lang, CHOICE_CONTEXT, english)
            valid = 1 <= len(translated) <= DESCRIPTION_LIMIT
        else:
            translated = tr(lang, english)
            valid = 1 <= len(translated) <= DESCRIPTION_LIMIT
        return translated if valid and translated != english else None

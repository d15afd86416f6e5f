"""The slash commands' behaviour, shared by the Discord adapter and `release-bot console`.

Handlers take plain option values and a `CommandContext` and return a `Reply` shaped exactly like the `data` of a
Discord interaction response. Nothing here imports discord, so the console runs the very same code.
"""

# Importing the command modules registers every command, in the order /help lists them.
from bot.commands import announce as announce
from bot.commands import calendar as calendar
from bot.commands import ping_role as ping_role
from bot.commands import release as release
from bot.commands import remind as remind
from bot.commands import show as show

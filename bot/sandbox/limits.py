"""Limits Discord enforces that its OpenAPI spec does not state (content 2000, embed text 6000...).

Returned as an error tree shaped like Discord's 50035 "Invalid Form Body" errors, empty when all is well.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox import components

CONTENT = 2000
EMBEDS = 10
EMBED_TOTAL = 6000
EMBED_FIELDS = 25
EMBED_TEXT = {"title": 256, "description": 4096}
FIELD_TEXT = {"name": 256, "value": 1024}
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
CHOICES = 25
CHOICE_TEXT = 100
COMMAND_NAME = re.compile(r"^[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}$")
COMMAND_DESCRIPTION = (1, 100)
COMMAND_OPTIONS = 25

Errors = dict[str, Any]


def _error(code: str, message: str) -> Errors:
    return {"_errors": [{"code": code, "message": message}]}


def _too_long(value: Any, limit: int) -> Errors | None:
    if isinstance(value, str) and len(value) > limit:
        return _error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    return None


def embed_errors(embed: dict[str, Any]) -> Errors:
    errors: Errors = {}
    for key, limit in EMBED_TEXT.items():
        if err := _too_long(embed.get(key), limit):
            errors[key] = err
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS:
        errors["fields"] = _error("BASE_TYPE_MAX_LENGTH", f"Must be {EMBED_FIELDS} or fewer in length.")
    for i, field in enumerate(fields):
        for key, limit in FIELD_TEXT.items():
            value = field.get(key)
            if not value:
                errors.setdefault("fields", {}).setdefault(str(i), {})[key] = _error(
                    "BASE_TYPE_REQUIRED", "This field is required"
                )
            elif err := _too_long(value, limit):
                errors.setdefault("fields", {}).setdefault(str(i), {})[key] = err
    if err := _too_long((embed.get("footer") or {}).get("text"), FOOTER_TEXT):
        errors["footer"] = {"text": err}
    if err := _too_long((embed.get("author") or {}).get("name"), AUTHOR_NAME):
        errors["author"] = {"name": err}
    return errors


def embed_text_length(embed: dict[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or [])
    total += len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
    return total


def message_errors(body: dict[str, Any]) -> Errors:
    """Problems with a message body (channel message, interaction response data, webhook follow-up)."""
    errors: Errors = {}
    if err := _too_long(body.get("content"), CONTENT):
        errors["content"] = err
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS:
        errors["embeds"] = _error("BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS} or fewer in length.")
    for i, embed in enumerate(embeds):
        if found := embed_errors(embed):
            errors.setdefault("embeds", {})[str(i)] = found
    if isinstance(body.get("components"), list) and (found := components.errors(body["components"])):
        errors["components"] = found
    if sum(embed_text_length(e) for e in embeds) > EMBED_TOTAL:
        errors.setdefault("embeds", {}).update(
            _error("MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL}")
        )
    return errors


def choices_errors(choices: list[dict[str, Any]]) -> Errors:
    errors: Errors = {}
    if len(choices) > CHOICES:
        errors["choices"] = _error("BASE_TYPE_MAX_LENGTH", f"Must be {CHOICES} or fewer in length.")
    for i, choice in enumerate(choices):
        name = choice.get("name") or ""
        if not 1 <= len(name) <= CHOICE_TEXT:
            errors.setdefault("choices", {})[str(i)] = {
                "name": _error("BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {CHOICE_TEXT} in length.")
            }
    return errors


def command_errors(command: dict[str, Any]) -> Errors:
    """Problems with one application command as sent to the bulk-overwrite route."""
    errors: Errors = {}
    name = command.get("name") or ""
    if not COMMAND_NAME.match(name) or name != name.lower():
        errors["name"] = _error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    description = command.get("description") or ""
    low, high = COMMAND_DESCRIPTION
    if command.get("type", 1) == 1 and not low <= len(description) <= high:
        errors["description"] = _error("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")
    options = command.get("options") or []
    if len(options) > COMMAND_OPTIONS:
        errors["options"] = _error("BASE_TYPE_MAX_LENGTH", f"Must be {COMMAND_OPTIONS} or fewer in length.")
    for i, option in enumerate(options):
        found = command_errors(
            {"name": option.get("name"), "description": option.get("description"), "options": option.get("options")}
        )
        if len(option.get("choices") or []) > CHOICES:
            found["choices"] = _error("BASE_TYPE_MAX_LENGTH", f"Must be {CHOICES} or fewer in length.")
        if found:
            errors.setdefault("options", {})[str(i)] = found
    return errors

"""Message components (docs: interactions/message-components): action rows of buttons (link buttons too) and string
selects, as Discord stores them (every component gets a numeric `id`, selects their default min/max values), the
limits Discord enforces that the spec does not state, and finding the component a user pressed."""

from __future__ import annotations

import copy
from typing import Any

Json = dict[str, Any]
ACTION_ROW, BUTTON, STRING_SELECT = 1, 2, 3
SELECTS = (3, 5, 6, 7, 8)  # string, user, role, mentionable, channel selects
LINK, PREMIUM = 5, 6  # button styles without a custom_id
MAX_ROWS = 5
MAX_BUTTONS_PER_ROW = 5
CUSTOM_ID = 100
BUTTON_LABEL = 80
SELECT_OPTIONS = 25
SELECT_PLACEHOLDER = 150
OPTION_TEXT = 100


def stored(components: list[Json] | None) -> list[Json]:
    """Components as Discord returns them: ids numbered in order where none was given, selects' defaults."""
    result = copy.deepcopy(components or [])
    taken = {c["id"] for c in walk(result) if isinstance(c.get("id"), int)}
    counter = 0
    for component in walk(result):
        if not isinstance(component.get("id"), int):
            counter += 1
            while counter in taken:
                counter += 1
            component["id"] = counter
        if component.get("type") in SELECTS:
            component.setdefault("min_values", 1)
            component.setdefault("max_values", 1)
        if component.get("type") == STRING_SELECT:
            component["options"] = [{k: v for k, v in o.items() if v is not None} for o in component["options"]]
    return result


def walk(components: list[Json]) -> list[Json]:
    """Every component, depth first (rows before their children)."""
    found: list[Json] = []
    for component in components:
        found.append(component)
        found += walk(component.get("components") or [])
    return found


def find(components: list[Json], custom_id: str) -> Json | None:
    return next((c for c in walk(components) if c.get("custom_id") == custom_id), None)


def _error(code: str, message: str) -> Json:
    return {"_errors": [{"code": code, "message": message}]}


def errors(components: list[Json]) -> Json:
    """Discord's 50035 error tree for a message's components; {} when they are acceptable."""
    tree: Json = {}
    if len(components) > MAX_ROWS:
        tree["_errors"] = _error("BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ROWS} or fewer in length.")["_errors"]
    seen: set[str] = set()
    for r, row in enumerate(components):
        if not isinstance(row, dict) or row.get("type") != ACTION_ROW:
            continue  # other top-level components are the spec's business
        children = row.get("components") or []
        selects = [c for c in children if c.get("type") in SELECTS]
        if not children or len(children) > MAX_BUTTONS_PER_ROW or (selects and len(children) > 1):
            tree.setdefault(str(r), {})["components"] = _error(
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"
            )
        for c, child in enumerate(children):
            found = _component_errors(child, seen)
            if found:
                tree.setdefault(str(r), {}).setdefault("components", {})[str(c)] = found
    return tree


def _component_errors(component: Json, seen: set[str]) -> Json:
    found: Json = {}
    kind, custom_id = component.get("type"), component.get("custom_id")
    if kind == BUTTON:
        style = component.get("style")
        if style == LINK and (not component.get("url") or custom_id is not None):
            found["url"] = _error(
                "BUTTON_COMPONENT_INVALID_URL"
                if not component.get("url")
                else "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                "A link button has a url, no custom_id",
            )
        if style not in (LINK, PREMIUM) and (not custom_id or component.get("url")):
            found["custom_id"] = _error("BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "A custom id is required")
        if len(component.get("label") or "") > BUTTON_LABEL:
            found["label"] = _error("BASE_TYPE_MAX_LENGTH", f"Must be {BUTTON_LABEL} or fewer in length.")
    if kind == STRING_SELECT:
        options = component.get("options") or []
        if not 1 <= len(options) <= SELECT_OPTIONS:
            found["options"] = _error("BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {SELECT_OPTIONS} in length.")
        for i, option in enumerate(options):
            for key in ("label", "value", "description"):
                if len(option.get(key) or "") > OPTION_TEXT:
                    found.setdefault("options", {}).setdefault(str(i), {})[key] = _error(
                        "BASE_TYPE_MAX_LENGTH", f"Must be {OPTION_TEXT} or fewer in length."
                    )
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not 0 <= low <= high <= max(len(options), 1):
            found["max_values"] = _error(
                "BASE_TYPE_BAD_LENGTH", "max_values must be between min_values and the number of options"
            )
        if len(component.get("placeholder") or "") > SELECT_PLACEHOLDER:
            found["placeholder"] = _error("BASE_TYPE_MAX_LENGTH", f"Must be {SELECT_PLACEHOLDER} or fewer in length.")
    if custom_id is not None:
        if not 1 <= len(str(custom_id)) <= CUSTOM_ID:
            found["custom_id"] = _error("BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {CUSTOM_ID} in length.")
        elif custom_id in seen:
            found["custom_id"] = _error("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
        seen.add(str(custom_id))
    return found

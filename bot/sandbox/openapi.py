"""Validating requests and responses against Discord's own OpenAPI 3.1 spec (`spec/openapi.json`, MIT).

OpenAPI 3.1 schemas are JSON Schema 2020-12, so jsonschema validates them directly; the whole spec is one
`referencing` resource, so `$ref`s resolve in place.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).parent / "spec" / "openapi.json"
_URI = "urn:discord-openapi"
Problem = tuple[tuple[str, ...], str, str]  # (path into the body, Discord's error code, message)
# JSON Schema keywords -> the codes Discord puts in a 50035 error tree
_CODES = {
    "maxLength": "BASE_TYPE_MAX_LENGTH",
    "maxItems": "BASE_TYPE_MAX_LENGTH",
    "minLength": "BASE_TYPE_MIN_LENGTH",
    "required": "BASE_TYPE_REQUIRED",
    "type": "BASE_TYPE_BAD_TYPE",
    "enum": "BASE_TYPE_CHOICES",
    "pattern": "STRING_TYPE_REGEX",
    "maximum": "NUMBER_TYPE_MAX",
    "minimum": "NUMBER_TYPE_MIN",
}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # "/channels/{channel_id}/messages"
    pattern: re.Pattern[str]
    spec: dict[str, Any]


class Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        # Discord's docs: snowflakes are always *returned* as strings, but requests may send them as integers
        # (discord.py does, e.g. allowed_mentions.roles). Where spec and docs disagree, the docs win.
        relaxed = copy.deepcopy(document)
        strict_snowflake = relaxed["components"]["schemas"]["SnowflakeType"]
        relaxed["components"]["schemas"]["SnowflakeType"] = {
            "anyOf": [strict_snowflake, {"type": "integer", "minimum": 0}]
        }
        self.registries: dict[bool, Registry] = {
            relaxed_: Registry().with_resource(_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
            for relaxed_, doc in ((False, document), (True, relaxed))
        }
        self.operations: list[Operation] = []
        for template, item in document["paths"].items():
            # Literal segments before placeholders, so "/messages/@original" wins over "/messages/{id}".
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template)) + "$"
            for method, op in item.items():
                if method != "parameters":
                    self.operations.append(Operation(method.upper(), template, re.compile(regex), op))
        self.operations.sort(key=lambda o: o.template.count("{"))

    def find(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method and op.pattern.match(path):
                return op
        return None

    @functools.cache  # noqa: B019  (one Spec lives for the process)
    def _validator(self, pointer: str, request: bool) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{_URI}#{pointer}"}, registry=self.registries[request])

    def _errors(self, pointer: str, instance: Any, request: bool) -> list[Problem]:
        validator = self._validator(pointer, request)
        return [
            (tuple(map(str, e.absolute_path)), _CODES.get(str(e.validator), "BASE_TYPE_INVALID"), e.message[:300])
            for e in _closest(list(validator.iter_errors(instance)))
        ][:20]

    def request_errors(self, op: Operation, body: Any) -> list[Problem]:
        content = (op.spec.get("requestBody") or {}).get("content", {}).get("application/json")
        if content is None:
            return []
        index = self._pointer(op, ["requestBody", "content", "application/json", "schema"])
        return self._errors(index, body, request=True)

    def query_errors(self, op: Operation, query: dict[str, str]) -> list[Problem]:
        """Query parameters the operation declares, checked against their schemas (undeclared ones are ignored).

        A query value is text: it passes if the text, or the JSON number or boolean it spells, fits the schema."""
        problems: list[Problem] = []
        for index, parameter in enumerate(op.spec.get("parameters", [])):
            raw = query.get(parameter["name"])
            if parameter.get("in") != "query" or raw is None:
                continue
            pointer = self._pointer(op, ["parameters", str(index), "schema"])
            attempts = []
            for value in [raw, *_spelled(raw)]:
                attempts.append(self._errors(pointer, value, request=True))
                if not attempts[-1]:
                    break
            else:  # none fits: the errors about what it most likely meant (`limit=0`: the number 0, too small)
                found = attempts[1] if len(attempts) > 1 else attempts[0]
                problems += [((parameter["name"], *path), code, message) for path, code, message in found]
        return problems

    def response_errors(self, op: Operation, status: int, body: Any) -> list[Problem]:
        response = op.spec.get("responses", {}).get(str(status))
        if response is None or "$ref" in response:
            return []
        if "application/json" not in response.get("content", {}):
            return []
        index = self._pointer(op, ["responses", str(status), "content", "application/json", "schema"])
        return self._errors(index, body, request=False)

    def schema_errors(self, name: str, instance: Any) -> list[Problem]:
        """`instance` against one of the spec's object schemas (`components.schemas[name]`), as the spec is written."""
        return self._errors(f"/components/schemas/{name}", instance, request=False)

    def _pointer(self, op: Operation, keys: list[str]) -> str:
        escaped = [k.replace("~", "~0").replace("/", "~1") for k in ["paths", op.template, op.method.lower(), *keys]]
        return "/" + "/".join(escaped)


def _closest(errors: list[Any]) -> list[Any]:
    """For a body matching none of a oneOf/anyOf's schemas, the errors against the one it came closest to (fewest
    errors), so the error tree names the field at fault as Discord's does, not the whole body."""
    found = []
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            branches: dict[Any, list[Any]] = {}
            for sub in error.context:
                branches.setdefault(sub.schema_path[0], []).append(sub)
            found += _closest(min(branches.values(), key=len))
        else:
            found.append(error)
    return found


def _spelled(raw: str) -> list[Any]:
    """What a query value may stand for besides its text: `limit=50` is 50, `wait=1` and `wait=true` are true."""
    values: list[Any] = []
    try:
        number = json.loads(raw)
    except ValueError:
        number = None
    if isinstance(number, int | float) and not isinstance(number, bool):
        values.append(number)
    if raw.lower() in ("true", "1", "false", "0"):
        values.append(raw.lower() in ("true", "1"))
    return values


@functools.cache
def load_spec() -> Spec:
    return Spec(json.loads(SPEC_PATH.read_text()))

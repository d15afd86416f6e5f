"""Is a request what Discord accepts? Its body and query against the OpenAPI spec, plus the limits the spec lacks,
answered as Discord's 400/50035 "Invalid Form Body" error tree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sandbox import limits
from bot.sandbox.openapi import Operation, Problem, Spec
from bot.sandbox.route_types import Json


@dataclass
class Invalid:
    query: list[Problem]  # from the spec
    body: list[Problem]  # from the spec
    limits: Json  # from the documented limits the spec lacks, already an error tree

    def where(self) -> str:
        return "query" if self.query else "body"

    def errors(self) -> Json:
        return merge_trees(error_tree(self.query + self.body), self.limits)


def check_request(spec: Spec, op: Operation, template: str, query: dict[str, str], body: Any) -> Invalid | None:
    query_problems = spec.query_errors(op, query)
    body_problems = spec.request_errors(op, body) if body is not None else []
    extra = limit_errors(template, body)
    return Invalid(query_problems, body_problems, extra) if query_problems or body_problems or extra else None


def limit_errors(template: str, body: Any) -> Json:
    if not isinstance(body, (dict, list)):
        return {}
    if template.endswith("/commands") and isinstance(body, list):
        return {str(i): e for i, c in enumerate(body) if (e := limits.command_errors(c))}
    if template.endswith("/callback") and isinstance(body, dict):
        data = body.get("data") or {}
        found = limits.choices_errors(data["choices"]) if "choices" in data else limits.message_errors(data)
        return {"data": found} if found else {}
    if template.endswith(("/messages", "/messages/@original", "/messages/{message_id}")) or template.startswith(
        "/webhooks/"
    ):
        return limits.message_errors(body) if isinstance(body, dict) else {}
    return {}


def error_tree(problems: list[Problem]) -> Json:
    """Discord's nested `errors` object: {"embeds": {"0": {"title": {"_errors": [...]}}}}."""
    tree: Json = {}
    for path, code, message in problems:
        node = tree
        for key in path:
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return tree


def merge_trees(a: Json, b: Json) -> Json:
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(a.get(key), dict):
            merge_trees(a[key], value)
        elif isinstance(value, list) and isinstance(a.get(key), list):  # one error per code, as Discord lists them
            codes = {e["code"] for e in a[key]}
            a[key] = a[key] + [e for e in value if e["code"] not in codes]
        else:
            a[key] = value
    return a

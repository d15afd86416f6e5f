"""What a REST route handler gets (a Call), returns ((status, body)) and raises (ApiError: Discord's error answer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str, errors: Json | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> Json:
        body: Json = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


@dataclass
class Call:
    """One REST request as a route handler sees it."""

    method: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    uploads: list[Any] = field(default_factory=list)  # `attachments.Upload`s of a multipart request


Route = Callable[[Call], Awaitable[tuple[int, Any]]]
Routes = dict[tuple[str, str], Route]  # (method, path template) -> handler

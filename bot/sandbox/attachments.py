"""Uploads: `multipart/form-data` requests with a `payload_json` part and `files[n]` parts (docs: Uploading Files),
and the attachments they become, whose bytes the sandbox keeps (served at `/_sandbox/attachments/{id}`)."""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from bot.sandbox.route_types import ApiError, Json

MAX_FILES = 10  # docs: up to 10 files per message
MAX_UPLOAD = 10 * 1024 * 1024  # the default upload limit (attachment_size_limit in interactions), 10 MiB


@dataclass
class Upload:
    """One `files[n]` part of a request."""

    index: int
    filename: str
    content_type: str
    data: bytes


@dataclass
class AttachmentStore:
    """Every attachment's bytes, by attachment id; the URL base is where the sandbox serves them."""

    base_url: str = ""
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # id -> (filename, type, bytes)

    def attach(self, snowflake: Any, body: Json, uploads: list[Upload]) -> list[Json]:
        """The attachment objects for a message body's `attachments` and the uploaded files they name.

        Docs: each `attachments[i].id` is the `n` of its `files[n]` part; a file with no entry is attached too."""
        described = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        created: list[Json] = []
        for upload in uploads:
            meta = described.get(str(upload.index), {})
            filename = meta.get("filename") or upload.filename
            attachment_id = str(snowflake())
            self.files[attachment_id] = (filename, upload.content_type, upload.data)
            url = f"{self.base_url}/_sandbox/attachments/{attachment_id}/{filename}"
            attachment: Json = {
                "id": attachment_id,
                "filename": filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
                "content_type": upload.content_type,
            }
            if meta.get("description"):
                attachment["description"] = meta["description"]
            created.append(attachment)
        return created

    def edited(self, snowflake: Any, current: list[Json], body: Json, uploads: list[Upload]) -> list[Json] | None:
        """A message's attachments after an edit: those the body's `attachments` keeps (by id), plus new files;
        None when the edit does not touch attachments."""
        if "attachments" not in body and not uploads:
            return None
        kept_ids = {str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)}
        kept = [a for a in current if a["id"] in kept_ids]
        return kept + self.attach(snowflake, body, uploads)


async def read_multipart(request: web.Request) -> tuple[Any, list[Upload]]:
    """(the payload_json body, the uploaded files) of a multipart request; 400/50035 if it is malformed."""
    body: Any = None
    uploads: list[Upload] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.name == "payload_json":
            try:
                body = json.loads(await part.text())
            except ValueError:
                raise ApiError(400, 50109, "The request body contains invalid JSON.") from None
        elif part.name.startswith("files[") and part.name.endswith("]"):
            index = part.name[len("files[") : -1]
            if not index.isdigit():
                raise ApiError(400, 50035, "Invalid Form Body")
            data = bytes(await part.read())
            filename = part.filename or f"file{index}"
            # Discord decides the type from the file's name (clients send application/octet-stream for everything)
            sent = (part.headers.get("Content-Type") or "application/octet-stream").split(";")[0].strip()
            content_type = mimetypes.guess_type(filename)[0] or sent
            if content_type.startswith("text/"):
                content_type += "; charset=utf-8"
            uploads.append(Upload(int(index), filename, content_type, data))
    if len(uploads) > MAX_FILES:
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            {
                "files": {
                    "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {MAX_FILES} or fewer in length."}]
                }
            },
        )
    if sum(len(u.data) for u in uploads) > MAX_UPLOAD:
        raise ApiError(413, 40005, "Request entity too large")
    return body, uploads

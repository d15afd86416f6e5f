"""Interactions sent to the bot, awaiting its answer: the callback (within Discord's 3 s), follow-ups and edits
of the original response, as the REST routes the bot calls with the interaction's token."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bot.sandbox.attachments import Upload
from bot.sandbox.events import WorldEvents
from bot.sandbox.route_types import ApiError, Call, Json, Routes
from bot.sandbox.world import World

INTERACTION_DEADLINE = 3.0  # seconds Discord gives a bot to answer an interaction
FOLLOW_UP_WAIT = 60.0  # how long `answer` waits for the real answer after a deferral (Discord allows 15 minutes)


@dataclass
class Pending:
    payload: Json
    created: float
    answered: asyncio.Future[Json]
    followed_up: asyncio.Future[Json]
    response_type: int | None = None
    message: Json | None = None


class InteractionResponses:
    def __init__(self, world: World, events: WorldEvents, deadline: float = INTERACTION_DEADLINE) -> None:
        self.world = world
        self.events = events
        self.deadline = deadline
        self.pending: dict[str, Pending] = {}  # by interaction id

    def routes(self) -> Routes:
        return {
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"): self._callback,
            ("POST", "/webhooks/{webhook_id}/{webhook_token}"): self._followup,
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): self._edit_original,
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): self._get_message,
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): self._delete_message,
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): self._get_message,
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): self._edit_message,
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): self._delete_message,
        }

    def open(self, payload: Json) -> Pending:
        """Remember an INTERACTION_CREATE about to be sent, so the bot's answer to it is accepted."""
        loop = asyncio.get_running_loop()
        pending = Pending(payload, time.time(), loop.create_future(), loop.create_future())
        self.pending[payload["id"]] = pending
        return pending

    async def answer(self, pending: Pending, command: str, wait: float | None = None) -> Json:
        """The bot's response as Discord got it; after a deferral, the follow-up or edit that completes it."""
        try:
            answer = await asyncio.wait_for(asyncio.shield(pending.answered), wait or self.deadline)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not respond to {command!r} within {self.deadline:g} s (Discord shows "
                "'The application did not respond')"
            ) from None
        if answer["type"] == 5:  # deferred: the real answer comes as a follow-up or an edit of the original
            answer = {**await asyncio.wait_for(asyncio.shield(pending.followed_up), FOLLOW_UP_WAIT), "deferred": True}
        return answer

    def _pending(self, call: Call) -> Pending:
        if "interaction_id" in call.params:
            pending = self.pending.get(call.params["interaction_id"])
            if pending is None or pending.payload["token"] != call.params["interaction_token"]:
                raise ApiError(404, 10062, "Unknown interaction")
            return pending
        for pending in self.pending.values():
            if pending.payload["token"] == call.params["webhook_token"]:
                return pending
        raise ApiError(404, 10015, "Unknown Webhook")

    async def _callback(self, call: Call) -> tuple[int, Json | None]:
        pending = self._pending(call)
        if pending.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.time() - pending.created > self.deadline:
            raise ApiError(404, 10062, "Unknown interaction")
        kind = call.body["type"]
        data = call.body.get("data") or {}
        pressed = pending.payload.get("message")  # the message whose component was used (type 3 only)
        if kind in (6, 7) and pressed is None:
            raise ApiError(400, 40043, "Interaction callback type is only valid for component interactions")
        pending.response_type = kind
        if kind == 4:
            pending.message = await self._message(pending, data, call.uploads)
        elif (
            kind in (6, 7) and pressed is not None
        ):  # the original response is now the message whose component was used
            pending.message = pressed
            if kind == 7:
                pending.message = await self._edit(pressed["id"], data, call.uploads)
        if not pending.answered.done():
            pending.answered.set_result(call.body)
        if call.query.get("with_response", "").lower() not in ("true", "1"):
            return 204, None
        interaction = {
            "id": pending.payload["id"],
            "type": pending.payload["type"],
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
        }
        if pending.message is None or kind not in (4, 7):  # autocomplete results and deferrals: no message (yet)
            return 200, {"interaction": interaction}
        interaction["response_message_id"] = pending.message["id"]
        return 200, {"interaction": interaction, "resource": {"type": kind, "message": pending.message}}

    async def _message(self, pending: Pending, data: Json, uploads: list[Upload]) -> Json:
        """A message the bot's answer creates in the channel: type 20 for a command (19, a reply, for a component),
        sent by the application's webhook."""
        payload = pending.payload
        user = payload["member"]["user"] if "member" in payload else payload["user"]
        metadata: Json = {
            "id": payload["id"],
            "type": payload["type"],
            "user": user,
            "authorizing_integration_owners": payload["authorizing_integration_owners"],
        }
        if payload["type"] == 3:
            metadata["interacted_message_id"] = payload["message"]["id"]
        else:
            metadata["name"] = payload["data"]["name"]
        message = self.world.message(
            int(payload["channel_id"]),
            data,
            uploads=uploads,
            extra={
                "type": 19 if payload["type"] == 3 else 20,
                "webhook_id": str(self.world.application_id),
                "application_id": str(self.world.application_id),
                "interaction_metadata": metadata,
            },
        )
        await self.events.message_created(message)
        return message

    async def _edit(self, message_id: str, body: Json, uploads: list[Upload]) -> Json:
        record = self.world.edit_message(message_id, body, uploads)
        edited = {k: v for k, v in record.items() if k not in ("allowed_mentions", "nonce")}
        await self.events.message_updated(edited)
        return edited

    async def _followup(self, call: Call) -> tuple[int, Json]:
        pending = self._pending(call)
        message = await self._message(pending, call.body, call.uploads)
        if not pending.followed_up.done():
            pending.followed_up.set_result({"type": 4, "data": call.body})
        return 200, message

    async def _edit_original(self, call: Call) -> tuple[int, Json]:
        pending = self._pending(call)
        if pending.message is None:
            pending.message = await self._message(pending, call.body, call.uploads)
        else:
            pending.message = await self._edit(pending.message["id"], call.body, call.uploads)
        if not pending.followed_up.done():
            pending.followed_up.set_result({"type": 4, "data": call.body})
        return 200, pending.message

    def _webhook_message(self, call: Call) -> tuple[Pending, Json]:
        """The interaction's original response or one of its follow-ups: else 404/10008, as Discord answers."""
        pending = self._pending(call)
        wanted = pending.message["id"] if pending.message else None
        if not call.template.endswith("/@original"):
            wanted = call.params["message_id"]
        pressed = (pending.payload.get("message") or {}).get("id")  # a component's message is the original too
        record = next(
            (
                m
                for m in self.world.messages
                if m["id"] == wanted
                and ((m.get("interaction_metadata") or {}).get("id") == pending.payload["id"] or m["id"] == pressed)
            ),
            None,
        )
        if record is None:
            raise ApiError(404, 10008, "Unknown Message")
        return pending, {k: v for k, v in record.items() if k != "allowed_mentions"}

    async def _get_message(self, call: Call) -> tuple[int, Json]:
        return 200, self._webhook_message(call)[1]

    async def _edit_message(self, call: Call) -> tuple[int, Json]:
        _, message = self._webhook_message(call)
        return 200, await self._edit(message["id"], call.body, call.uploads)

    async def _delete_message(self, call: Call) -> tuple[int, None]:
        pending, message = self._webhook_message(call)
        self.world.delete_message(message["id"])
        if pending.message is not None and pending.message["id"] == message["id"]:
            pending.message = None
        await self.events.message_deleted(message)
        return 204, None

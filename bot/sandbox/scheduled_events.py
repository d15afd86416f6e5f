"""Guild scheduled events (docs: resources/guild-scheduled-event): create, modify, delete, get and list, with the
*Create Events* / *Manage Events* permissions, Discord's limit of 100 events per server, and the
GUILD_SCHEDULED_EVENT_CREATE / UPDATE / DELETE gateway events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.sandbox.events import WorldEvents
from bot.sandbox.route_types import ApiError, Call, Json, Routes
from bot.sandbox.world import PERMISSIONS, Guild, World

BASE = "/guilds/{guild_id}/scheduled-events"
MAX_EVENTS = 100  # scheduled or active events per server
STAGE, VOICE, EXTERNAL = 1, 2, 3
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
# Status changes Discord allows (docs: "Guild Scheduled Event Status Update Automation" and the modify notes)
TRANSITIONS = {SCHEDULED: {SCHEDULED, ACTIVE, CANCELED}, ACTIVE: {ACTIVE, COMPLETED}}


def _error(field: str, code: str, message: str) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", {field: {"_errors": [{"code": code, "message": message}]}})


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ScheduledEventRoutes:
    def __init__(self, world: World, events: WorldEvents) -> None:
        self.world = world
        self.events = events

    def routes(self) -> Routes:
        return {
            ("GET", BASE): self._list,
            ("POST", BASE): self._create,
            ("GET", BASE + "/{guild_scheduled_event_id}"): self._get,
            ("PATCH", BASE + "/{guild_scheduled_event_id}"): self._modify,
            ("DELETE", BASE + "/{guild_scheduled_event_id}"): self._delete,
        }

    def _guild(self, call: Call) -> Guild:
        guild = self.world.guilds.get(int(call.params["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        if self.world.bot_id not in guild.members:
            raise ApiError(403, 50001, "Missing Access")
        return guild

    def _event(self, call: Call) -> tuple[Guild, Json]:
        guild = self._guild(call)
        event = guild.scheduled_events.get(int(call.params["guild_scheduled_event_id"]))
        if event is None:
            raise ApiError(404, 10070, "Unknown Guild Scheduled Event")
        return guild, event

    def _may_manage(self, guild: Guild, event: Json | None) -> None:
        """Create Events for new events and the bot's own; Manage Events for anyone's (docs: permissions)."""
        granted = guild.permissions(self.world.bot_id)
        own = event is None or event.get("creator_id") == str(self.world.bot_id)
        if not granted & PERMISSIONS["manage_events"] and not (own and granted & PERMISSIONS["create_events"]):
            raise ApiError(403, 50013, "Missing Permissions")

    def _check(self, guild: Guild, event: Json, creating: bool) -> None:
        """What the spec cannot say: an external event's location and end, times in order and not in the past."""
        kind = event["entity_type"]
        if kind == EXTERNAL:
            if not (event.get("entity_metadata") or {}).get("location"):
                raise _error("entity_metadata", "BASE_TYPE_REQUIRED", "An external event needs a location")
            if not event.get("scheduled_end_time"):
                raise _error("scheduled_end_time", "BASE_TYPE_REQUIRED", "An external event needs an end time")
            if event.get("channel_id"):
                raise _error(
                    "channel_id", "GUILD_SCHEDULED_EVENT_CHANNEL_NOT_ALLOWED", "An external event has no channel"
                )
        else:
            channel = guild.channels.get(int(event.get("channel_id") or 0))
            if channel is None or channel.type != (13 if kind == STAGE else 2):
                raise _error(
                    "channel_id",
                    "GUILD_SCHEDULED_EVENT_INVALID_CHANNEL",
                    "A stage or voice event needs a stage or voice channel of this server",
                )
        start = _instant(event["scheduled_start_time"])
        if creating and start <= datetime.now(UTC):
            raise _error(
                "scheduled_start_time", "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "Cannot schedule event in the past."
            )
        if event.get("scheduled_end_time") and _instant(event["scheduled_end_time"]) <= start:
            raise _error(
                "scheduled_end_time",
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "Cannot schedule an event to end before starting.",
            )

    def _built(self, guild: Guild, sent: Json, event_id: int) -> Json:
        """The event object as Discord returns it, every field present."""
        external = sent["entity_type"] == EXTERNAL
        return {
            "id": str(event_id),
            "guild_id": str(guild.id),
            "name": sent["name"],
            "description": sent.get("description"),
            "channel_id": None if external else str(sent["channel_id"]),
            "creator_id": str(self.world.bot_id),
            "creator": self.world.bot_user,
            "image": None,
            "scheduled_start_time": _instant(sent["scheduled_start_time"]).isoformat(),
            "scheduled_end_time": _instant(sent["scheduled_end_time"]).isoformat()
            if sent.get("scheduled_end_time")
            else None,
            "status": SCHEDULED,
            "entity_type": sent["entity_type"],
            "entity_id": None,
            "recurrence_rule": None,
            "privacy_level": sent["privacy_level"],
            "guild_scheduled_event_exceptions": [],
            "entity_metadata": {"location": sent["entity_metadata"]["location"]} if external else None,
        }

    async def _list(self, call: Call) -> tuple[int, Any]:
        guild = self._guild(call)
        counted = call.query.get("with_user_count", "").lower() in ("true", "1")
        return 200, [{**e, "user_count": 0} if counted else e for e in guild.scheduled_events.values()]

    async def _get(self, call: Call) -> tuple[int, Any]:
        _, event = self._event(call)
        return 200, event

    async def _create(self, call: Call) -> tuple[int, Any]:
        guild = self._guild(call)
        self._may_manage(guild, None)
        self._check(guild, call.body, creating=True)
        if sum(e["status"] in (SCHEDULED, ACTIVE) for e in guild.scheduled_events.values()) >= MAX_EVENTS:
            raise ApiError(400, 30038, "Maximum number of uncompleted guild scheduled events reached (100)")
        event = self._built(guild, call.body, self.world.snowflake())
        guild.scheduled_events[int(event["id"])] = event
        await self.events.scheduled_event(guild, event, "GUILD_SCHEDULED_EVENT_CREATE")
        return 200, event

    async def _modify(self, call: Call) -> tuple[int, Any]:
        guild, event = self._event(call)
        self._may_manage(guild, event)
        changes = {
            k: v
            for k, v in call.body.items()
            if k
            in (
                "name",
                "description",
                "scheduled_start_time",
                "scheduled_end_time",
                "entity_type",
                "privacy_level",
                "channel_id",
                "entity_metadata",
                "status",
            )
            and (v is not None or k in ("description", "channel_id"))
        }
        status = changes.pop("status", event["status"])
        if status not in TRANSITIONS.get(event["status"], set()):
            raise _error(
                "status", "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION", "This status change is not allowed."
            )
        merged = {**event, **changes}
        if changes.get("entity_type", event["entity_type"]) == EXTERNAL:
            merged["channel_id"] = None  # docs: set to null when changing to EXTERNAL
        self._check(guild, merged, creating="scheduled_start_time" in changes)
        updated = {
            **self._built(guild, merged, int(event["id"])),
            "status": status,
            "creator_id": event["creator_id"],
            "creator": event["creator"],
        }
        guild.scheduled_events[int(event["id"])] = updated
        await self.events.scheduled_event(guild, updated, "GUILD_SCHEDULED_EVENT_UPDATE")
        return 200, updated

    async def _delete(self, call: Call) -> tuple[int, Any]:
        guild, event = self._event(call)
        self._may_manage(guild, event)
        del guild.scheduled_events[int(event["id"])]
        await self.events.scheduled_event(guild, event, "GUILD_SCHEDULED_EVENT_DELETE")
        return 204, None

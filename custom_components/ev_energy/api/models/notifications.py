"""User notifications (e.g. "Your car is disconnected")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .base import EvEnergyModel
from .enums import NotificationCategory


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification(EvEnergyModel):
    """A notification shown to the user in the ev.energy app."""

    id: str
    url: str | None = None
    message_id: str | None = None
    category: NotificationCategory | None = None
    category_raw: str | None = None
    event_time: datetime | None = None
    short_text_title: str | None = None
    short_text_body: str | None = None
    detail_page_title: str | None = None
    detail_page_body: str | None = None
    external_link: str | None = None
    external_button_label: str | None = None
    read_at: datetime | None = None
    resolved_at: datetime | None = None

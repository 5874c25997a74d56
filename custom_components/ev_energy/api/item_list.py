"""What list methods return: the items that parsed, and a report of those that did not."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DroppedItem:
    """An item of a collection, or a nested object of one, that could not be parsed.

    Attributes:
        id: The item's ``id`` when the raw object had a string one, else None.
        reason: Where and why parsing failed (field names and JSON types, never values).
        field: None when the whole item was dropped (it is not in the list); otherwise
            the field of the item whose nested object could not be parsed and became
            None (the item itself is in the list).
    """

    id: str | None
    reason: str
    field: str | None = None


class ItemList[T](list[T]):
    """A list of parsed items that also reports what it had to leave out.

    Attributes:
        dropped: Items that could not be parsed and are missing from the list. Their
            IDs name devices that exist but could not be read (not absent ones).
        dropped_fields: Items kept in the list with one nested object (an expanded
            reference such as ``latest_status_log``) replaced by None because that
            object could not be parsed.
    """

    dropped: tuple[DroppedItem, ...]
    dropped_fields: tuple[DroppedItem, ...]

    def __init__(
        self,
        items: Iterable[T] = (),
        dropped: Iterable[DroppedItem] = (),
        dropped_fields: Iterable[DroppedItem] = (),
    ) -> None:
        """Hold ``items`` and the report of what was dropped."""
        super().__init__(items)
        self.dropped = tuple(dropped)
        self.dropped_fields = tuple(dropped_fields)


def joined[T](parts: Iterable[ItemList[T]]) -> ItemList[T]:
    """Concatenate item lists (pages of one collection), reports included."""
    items: list[T] = []
    dropped: list[DroppedItem] = []
    dropped_fields: list[DroppedItem] = []
    for part in parts:
        items += part
        dropped += part.dropped
        dropped_fields += part.dropped_fields
    return ItemList(items, dropped, dropped_fields)

"""Encoding contract objects to the wire: compact UTF-8 JSON, timestamps in UTC with ``Z``."""

from __future__ import annotations

import datetime as _dt
from typing import Any

import msgspec

__all__ = ["encode"]


def _utc(obj: Any) -> Any:
    if isinstance(obj, _dt.datetime):
        return obj.astimezone(_dt.timezone.utc)
    raise NotImplementedError(type(obj))


_ENCODER = msgspec.json.Encoder()


def encode(obj: Any) -> bytes:
    """Serialise an event, alert or dead letter (or a plain dict) as contract JSON.

    Event tags (``event_type``) are written by msgspec from the struct's tag, so an
    encoded event decodes back to an equal one.
    """
    return _ENCODER.encode(obj)

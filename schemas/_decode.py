"""``decode``: bytes in, a typed event or a ``ValidationError`` out; never an exception.

Two paths, one source of truth:

* The fast path is a single ``msgspec`` decoder over the tagged union. Valid input, the
  overwhelming majority on a live stream, costs one C-level pass.
* When that pass fails, msgspec reports only the first problem. The slow path re-reads
  the message as plain JSON and walks the same model classes field by field, validating
  each leaf with msgspec against the field's own annotated type, so every problem is
  reported with its path (``lines.0.quantity``) and the constraints still live in one
  place (the model declarations).

Paths are dotted with list indices as numbers, as in ``invalid-examples.jsonl``; the
empty path ``""`` means the message as a whole.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Union, get_args, get_origin

import msgspec

from schemas._types import CountryCode, Timestamp
from schemas.events import EVENT_TYPES, Event, EventBase

__all__ = ["FieldError", "ValidationError", "decode", "decode_object", "MAX_EVENT_BYTES"]

#: Kafka's default ``message.max.bytes`` is about 1 MB, so no contract event can be larger
#: on the wire; refusing bigger input early bounds the work a hostile message can cause.
MAX_EVENT_BYTES = 1024 * 1024
#: Errors listed per message; a message that is wrong everywhere needs no more to be triaged.
MAX_ERRORS = 50

_EVENT_DECODER = msgspec.json.Decoder(Event)
_ANY_DECODER = msgspec.json.Decoder()
_MSGSPEC_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem: where (dotted path, ``""`` for the whole message) and what."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class ValidationError:
    """Why a message is not a contract v1 event. Returned, not raised, by :func:`decode`.

    ``error`` is a one-line reason for the dead-letter record and for metrics labels
    (``kind`` is its low-cardinality category); ``errors`` lists every problem found.
    """

    kind: str
    errors: tuple[FieldError, ...] = field(default_factory=tuple)

    @property
    def error(self) -> str:
        first = self.errors[0] if self.errors else FieldError("", self.kind)
        where = f" at {first.field}" if first.field else ""
        more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        return f"{self.kind}{where}: {first.message}{more}"

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.error


_TOO_DEEP = ValidationError(
    "too_deep", (FieldError("", "JSON nested deeper than the decoder's limit; no contract event is"),)
)
#: Leaf types whose msgspec message ("Invalid enum value 'Malaysia'") deserves the contract's words.
_LEAF_MESSAGES: dict[Any, str] = {
    CountryCode: "not an ISO 3166-1 alpha-2 country code (upper case, e.g. SG, MY, CN)",
    list[CountryCode]: "not a list of ISO 3166-1 alpha-2 country codes (upper case, e.g. SG, MY, CN)",
    Timestamp: "not an RFC 3339 timestamp with an offset (e.g. 2025-03-04T09:30:00Z)",
}

def decode(data: bytes | bytearray | memoryview | str) -> Event | ValidationError:
    """Decode and validate one message. Returns the event or every reason it is invalid."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_EVENT_BYTES:
        return ValidationError(
            "too_large", (FieldError("", f"message is {len(data)} bytes; the limit is {MAX_EVENT_BYTES}"),)
        )
    if isinstance(data, memoryview):
        data = bytes(data)
    try:
        # Unknown fields are skipped without a UTF-8 check, so check the whole message:
        # the contract says UTF-8, and an invalid byte anywhere makes the text untrustworthy.
        # Nearly every message is ASCII, which isascii() confirms ~10x faster than a decode.
        if not data.isascii():
            data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ValidationError("not_utf8", (FieldError("", f"invalid UTF-8 at byte {exc.start}"),))
    try:
        return _EVENT_DECODER.decode(data)
    except msgspec.DecodeError as first:
        return _explain(data, first)
    except RecursionError:
        return _TOO_DEEP
    except (MemoryError, ValueError, TypeError, OverflowError) as exc:
        return ValidationError("invalid", (FieldError("", f"{type(exc).__name__}: {exc}"),))


def decode_object(obj: Any) -> Event | ValidationError:
    """Validate an already-parsed object (a Parquet row, a test fixture) the same way."""
    try:
        return msgspec.convert(obj, Event)
    except msgspec.ValidationError as first:
        return _explain_object(obj, first)
    except RecursionError:
        return _TOO_DEEP
    except (ValueError, TypeError, OverflowError) as exc:
        return ValidationError("invalid", (FieldError("", f"{type(exc).__name__}: {exc}"),))


def _explain(data: bytes | bytearray | memoryview, first: msgspec.DecodeError) -> ValidationError:
    try:
        obj = _ANY_DECODER.decode(data)
    except RecursionError:
        return _TOO_DEEP
    except msgspec.DecodeError as exc:
        return ValidationError("not_json", (FieldError("", str(exc)),))
    return _explain_object(obj, first)


def _explain_object(obj: Any, first: Exception) -> ValidationError:
    if not isinstance(obj, dict):
        return ValidationError("not_an_object", (FieldError("", f"expected a JSON object, got {_json_type(obj)}"),))
    errors: list[FieldError] = []
    event_type = obj.get("event_type")
    cls = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if cls is None:
        if "event_type" not in obj:
            errors.append(FieldError("event_type", "required field missing"))
        else:
            errors.append(
                FieldError("event_type", f"unknown event type {event_type!r}; expected one of {sorted(EVENT_TYPES)}")
            )
        # The envelope can still be checked so the producer learns everything at once.
        _walk_struct(obj, EventBase, "", errors)
    else:
        _walk_struct(obj, cls, "", errors)
    if not errors:
        # The walker and msgspec disagree; msgspec is authoritative, so report its finding.
        errors.append(_from_msgspec(first))
    return ValidationError("schema", tuple(errors[:MAX_ERRORS]))


def _walk_struct(obj: Any, cls: type[msgspec.Struct], path: str, errors: list[FieldError]) -> None:
    if not isinstance(obj, dict):
        errors.append(FieldError(path, f"expected an object, got {_json_type(obj)}"))
        return
    for name, hint, required in _struct_fields(cls):
        where = f"{path}.{name}" if path else name
        if name not in obj:
            if required:
                errors.append(FieldError(where, "required field missing"))
            continue
        _walk_value(obj[name], hint, where, errors)
        if len(errors) >= MAX_ERRORS:
            return


def _walk_value(value: Any, hint: Any, path: str, errors: list[FieldError]) -> None:
    inner, optional = _strip_optional(hint)
    if value is None and optional:
        return
    target, _ = _strip_annotated(inner)
    if isinstance(target, type) and issubclass(target, msgspec.Struct):
        _walk_struct(value, target, path, errors)
        return
    if get_origin(target) is list:
        (item_type,) = get_args(target)
        item_target, _ = _strip_annotated(item_type)
        if isinstance(item_target, type) and issubclass(item_target, msgspec.Struct) and isinstance(value, list):
            _check_leaf(value, _list_shell(inner), path, errors)  # length constraints
            for index, item in enumerate(value):
                _walk_value(item, item_type, f"{path}.{index}", errors)
            return
    _check_leaf(value, hint, path, errors)


def _check_leaf(value: Any, hint: Any, path: str, errors: list[FieldError]) -> None:
    try:
        _leaf_decoder(hint).decode(msgspec.json.encode(value))
    except msgspec.ValidationError as exc:
        error = _from_msgspec(exc)
        friendly = _LEAF_MESSAGES.get(_strip_optional(hint)[0])
        if friendly is not None:
            error = FieldError(error.field, f"{friendly}: {error.message}")
        where = f"{path}{error.field and '.' + error.field}" if path else error.field
        errors.append(FieldError(where, error.message))
    except (msgspec.DecodeError, TypeError, OverflowError) as exc:
        errors.append(FieldError(path, str(exc)))


def _from_msgspec(exc: Exception) -> FieldError:
    """Turn msgspec's ``... - at `$.lines[0].quantity``` into ``lines.0.quantity``."""
    text = str(exc)
    match = _MSGSPEC_PATH.search(text)
    if match is None:
        return FieldError("", text)
    path = match.group("path").replace("[", ".").replace("]", "").lstrip(".")
    return FieldError(path, text[: match.start()])


@functools.lru_cache(maxsize=None)
def _struct_fields(cls: type[msgspec.Struct]) -> tuple[tuple[str, Any, bool], ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    return tuple((f.encode_name, hints[f.name], f.required) for f in msgspec.structs.fields(cls))


@functools.lru_cache(maxsize=None)
def _leaf_decoder(hint: Any) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(hint)


def _list_shell(hint: Any) -> Any:
    """The list's own constraints (length) without validating its items twice."""
    _, metas = _strip_annotated(hint)
    return typing.Annotated[(list[Any], *metas)] if metas else list[Any]


def _strip_optional(hint: Any) -> tuple[Any, bool]:
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(get_args(hint)) == 2:
            return args[0], True
    return hint, False


def _strip_annotated(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    if get_origin(hint) is typing.Annotated:
        base, *metas = get_args(hint)
        return base, tuple(metas)
    return hint, ()


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )

"""``chokepoint bench memory``: where a replay's memory is, structure by structure.

Peak memory is a target (10M events in 4 GB), and a peak RSS alone does not say what to
change. This replays events into one engine with every default detector, keeps it, and
walks what each part of it holds: ``sys.getsizeof`` over every object reachable from the
part, each object counted once, for the first part (in the order listed) that reaches
it. So a row is what that structure keeps alive that nothing listed before it does, and
the rows add up to everything the engine and the detectors' modules hold. Slow (a few
seconds per million objects) and approximate (allocator overhead is not in it), which is
why it is a diagnostic and not a benchmark row.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
import types
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

__all__ = ["Footprint", "deep_sizes", "engine_parts", "memory_report", "replay_footprints"]

# Shared by everything and not state: never entered, never counted.
_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
           types.CodeType, types.FrameType, types.GetSetDescriptorType, types.MemberDescriptorType)


@dataclass(frozen=True)
class Footprint:
    part: str
    bytes: int
    objects: int


def deep_sizes(parts: Sequence[tuple[str, Any]]) -> list[Footprint]:
    """Bytes and objects each part reaches that no earlier part reached."""
    seen: set[int] = set()
    return [Footprint(name, *_walk(root, seen)) for name, root in parts]


def _walk(root: Any, seen: set[int]) -> tuple[int, int]:
    total = count = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _OPAQUE):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        count += 1
        if isinstance(obj, msgspec.Struct):  # gc=False structs report no referents
            stack.extend(getattr(obj, name) for name in obj.__struct_fields__)
        else:
            stack.extend(gc.get_referents(obj))
    return total, count


def _attributes(obj: Any) -> Iterator[tuple[str, Any]]:
    if dataclasses.is_dataclass(obj):
        for field in dataclasses.fields(obj):
            yield field.name, getattr(obj, field.name)
        return
    if hasattr(obj, "__dict__"):
        yield from vars(obj).items()
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name != "__dict__" and hasattr(obj, name):
                yield name, getattr(obj, name)


def _expanded(prefix: str, value: Any, depth: int) -> Iterator[tuple[str, Any]]:
    """``value`` as one part, or, for an object with attributes, one part per attribute
    (``depth`` levels down), so a detector's state shows its windows and indexes."""
    children = list(_attributes(value)) if depth > 0 and not isinstance(value, (dict, list, tuple, set)) else []
    if not children:
        yield prefix, value
        return
    for name, child in children:
        yield from _expanded(f"{prefix}.{name}", child, depth - 1)
    yield f"{prefix} (the rest)", value


def engine_parts(engine: Any, *, depth: int = 2) -> list[tuple[str, Any]]:
    """The engine's own structures, the reference data, each detector's attributes, and
    last the module-level memos of ``detectors`` and ``schemas`` (caches keyed by name)."""
    parts: list[tuple[str, Any]] = []
    for name, value in _attributes(engine):
        if name == "detectors":
            for detector in value:
                parts.extend(_expanded(detector.name, detector, depth))
        elif name == "reference":
            parts.extend(_expanded("reference", value, 1))
        else:
            parts.append((f"engine.{name}", value))
    modules = [m for n, m in sorted(sys.modules.items()) if n.split(".")[0] in ("detectors", "schemas")]
    parts.append(("module-level memos", [vars(m) for m in modules]))
    return parts


def replay_footprints(paths: Iterable[Path], *, depth: int = 2) -> tuple[int, int, list[Footprint]]:
    """Replay ``paths`` (in event-time order) into one engine; (valid events, invalid
    records skipped as dead letters, the engine's footprints)."""
    from detectors.engine import Engine
    from detectors.registry import default_detectors
    from streams.replay.reader import read_events
    from streams.replay.run import run_engine

    data = read_events(list(paths))
    engine = run_engine(data.events, Engine(default_detectors()))
    events, invalid = len(data.events), len(data.deadletters)
    del data
    gc.collect()
    return events, invalid, deep_sizes(engine_parts(engine, depth=depth))


def memory_report(events: int, footprints: Sequence[Footprint], *, invalid: int = 0, top: int = 30) -> str:
    """Markdown: the largest parts, with bytes per event, and the total."""
    total = sum(f.bytes for f in footprints)
    skipped = f" ({invalid:,} invalid records skipped)" if invalid else ""
    lines = [f"{events:,} events{skipped}; {total / 2**20:,.0f} MiB reachable from the engine and the detectors' modules",
             "", "| part | MiB | objects | bytes per event | share |", "|---|---|---|---|---|"]
    for f in sorted(footprints, key=lambda f: -f.bytes)[:top]:
        lines.append(f"| {f.part} | {f.bytes / 2**20:,.1f} | {f.objects:,} | {f.bytes / max(events, 1):,.0f} "
                     f"| {f.bytes / max(total, 1):.0%} |")
    return "\n".join(lines)

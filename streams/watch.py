"""``chokepoint watch``: a live, readable feed of ``alerts.v1`` in the terminal.

Filtering and formatting are pure (``AlertFilter``, ``alert_line``) and tested on their
own; ``watch`` only reads the topic. It reads outside any consumer group, so any number
of analysts can watch without taking partitions from the workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import msgspec
from rich.text import Text

from detectors.alerts import SEVERITIES, severity_rank
from schemas import Alert
from streams.settings import Settings
from streams.topics import ALERTS

__all__ = ["AlertFilter", "alert_line", "watch"]

_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "dim"}
_alert_decoder = msgspec.json.Decoder(Alert)


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts an analyst wants to see; every given criterion must hold."""

    min_severity: str = "low"
    typologies: frozenset[str] = field(default_factory=frozenset)
    countries: frozenset[str] = field(default_factory=frozenset)  # subject's or a related party's
    party: str | None = None  # case-insensitive substring of a party's name or entity_id

    def matches(self, alert: Alert) -> bool:
        if severity_rank(alert.severity) < severity_rank(self.min_severity):
            return False
        if self.typologies and alert.typology not in self.typologies:
            return False
        parties = [alert.subject, *(alert.related or ())]
        if self.countries and not any(p.country in self.countries for p in parties):
            return False
        if self.party:
            needle = self.party.casefold()
            if not any(needle in (p.name or "").casefold() or needle in (p.entity_id or "").casefold() for p in parties):
                return False
        return True


def alert_line(alert: Alert, *, update: bool) -> Text:
    """One alert on one line: when, how bad, what, who, why, and its id to look it up."""
    line = Text()
    line.append(alert.event_time.strftime("%Y-%m-%d %H:%M "), style="dim")
    line.append(f"{alert.severity.upper():8}", style=_STYLE.get(alert.severity, ""))
    line.append(f" {alert.typology:13} ", style="cyan")
    line.append(f"{alert.subject.name} ({alert.subject.country}) ", style="bold")
    line.append(alert.summary)
    line.append(f"  [{', '.join(alert.red_flags)}]", style="magenta")
    line.append(f"  {alert.alert_id}{' (updated)' if update else ''}", style="dim")
    return line


def decode_alert(value: bytes) -> Alert | None:
    try:
        return _alert_decoder.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def watch(
    settings: Settings,
    bootstrap_servers: str,
    alert_filter: AlertFilter,
    *,
    from_beginning: bool = False,
    emit: Callable[[Text], None],
    should_stop: Callable[[], bool] = lambda: False,
    idle_exit_s: float | None = None,
    on_alert: Callable[[Alert], None] | None = None,
) -> int:
    """Print matching alerts as they arrive; returns how many were shown."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers.split(","),
        group_id=None,
        enable_auto_commit=False,
        **settings.kafka.kafka_python_config(),
    )
    shown = 0
    seen: set[str] = set()
    try:
        partitions = consumer.partitions_for_topic(ALERTS) or {0}
        tps = [TopicPartition(ALERTS, p) for p in sorted(partitions)]
        consumer.assign(tps)
        if from_beginning:
            consumer.seek_to_beginning(*tps)
        else:
            consumer.seek_to_end(*tps)
        last = time.monotonic()
        while not should_stop():
            batch = consumer.poll(500)
            if not batch and idle_exit_s is not None and time.monotonic() - last > idle_exit_s:
                break
            for records in batch.values():
                last = time.monotonic()
                for alert in filter(None, (decode_alert(r.value) for r in records)):
                    if on_alert is not None:
                        on_alert(alert)
                    if alert_filter.matches(alert):
                        emit(alert_line(alert, update=alert.alert_id in seen))
                        shown += 1
                    seen.add(alert.alert_id)
    finally:
        consumer.close()
    return shown


def parse_filter(min_severity: str, typologies: Iterable[str], countries: Iterable[str], party: str | None) -> AlertFilter:
    if min_severity not in SEVERITIES:
        raise ValueError(f"unknown severity {min_severity!r}; choose from {', '.join(SEVERITIES)}")
    return AlertFilter(min_severity, frozenset(typologies), frozenset(c.upper() for c in countries), party)

"""Output objects of contract v1: alerts (``alerts.v1``) and dead letters (``deadletter.v1``)."""

from __future__ import annotations

from typing import Any


from schemas._types import CountryCode, PartyName, Score, Severity, Timestamp, Typology
from schemas.events import Party, Record

__all__ = ["SubjectParty", "Alert", "FieldErrorRecord", "DeadLetter", "DEADLETTER_RAW_LIMIT"]

#: The contract truncates the original message to 64 KiB in a dead letter.
DEADLETTER_RAW_LIMIT = 64 * 1024


class SubjectParty(Record):
    """The party an alert is about: always resolved, so ``entity_id`` is required."""

    entity_id: str
    name: PartyName
    country: CountryCode
    address: str | None = None


class Alert(Record):
    """What an analyst reads. ``alert_id`` is a function of the evidence, never of the clock."""

    alert_id: str
    typology: Typology
    detector: str
    severity: Severity
    score: Score
    subject: SubjectParty
    event_time: Timestamp
    detected_at: Timestamp
    evidence: list[str]
    red_flags: list[str]
    summary: str
    details: dict[str, Any]
    related: list[Party] | None = None


class FieldErrorRecord(Record):
    field: str
    message: str


class DeadLetter(Record):
    """An input that failed validation, with every reason found and the raw text."""

    received_at: Timestamp
    topic: str
    error: str
    errors: list[FieldErrorRecord]
    raw: str
    partition: int | None = None
    offset: int | None = None

"""The detection engine: reference state, trade records, and the micro-batch loop."""

from detectors.engine.context import Reference
from detectors.engine.core import Detector, Engine, ReferenceChange, state_size_bytes
from detectors.engine.records import LineRecord, OrderRecord, PartyRef, ShipmentRecord, TradeRecord
from detectors.engine.shared import SharedRecords

__all__ = [
    "Engine",
    "Detector",
    "Reference",
    "ReferenceChange",
    "PartyRef",
    "LineRecord",
    "OrderRecord",
    "ShipmentRecord",
    "SharedRecords",
    "TradeRecord",
    "state_size_bytes",
]

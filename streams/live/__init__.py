"""The live stream's pure parts: no Faust, no Kafka client, unit-tested on their own.

* :mod:`streams.live.envelope` - what travels on the detection topic.
* :mod:`streams.live.sources` - which input partitions a worker has caught up on.
* :mod:`streams.live.sequencer` - event-time order across input partitions (watermarks).
* :mod:`streams.live.shard` - one detector family over its log: envelope -> alerts.

``streams.worker`` wires these to Faust.
"""

from streams.live.envelope import Envelope, decode_envelope, events_envelope, idle_envelope
from streams.live.sequencer import Sequencer
from streams.live.shard import DetectionShard
from streams.live.sources import SourceProgress, source_name

__all__ = [
    "DetectionShard",
    "Envelope",
    "Sequencer",
    "SourceProgress",
    "decode_envelope",
    "events_envelope",
    "idle_envelope",
    "source_name",
]

"""Transshipment: controlled accelerators passing through a party on their way elsewhere.

Pure logic (no Kafka, no Faust, no I/O). One detector, ``TransshipmentDetector``
(``name = "transshipment"``), with one module per pattern, each emitting findings as
``transshipment.<pattern>@1`` with the pass-through party as subject:

======================  ==================================================================
``serial_chain``        a serial imported into a party leaves it again (``SERIAL_REEXPORT``)
``pass_through_match``  inbound and outbound legs match without serials (``PASS_THROUGH_MATCH``)
``pass_through_ratio``  most controlled accelerators received are re-exported to hubs or
                        licence destinations (``PASS_THROUGH_MATCH``); one alert per party
``multi_hop``           chains of pass-throughs, one alert per chain (``MULTI_HOP_CHAIN``)
``serial_anomaly``      a serial in two places at once, or exported twice (``SERIAL_DUPLICATE``)
``misdescription``      GPUs declared as adapters, switches, cables (``MISDESCRIPTION``)
``consolidation``       straw purchases converging on one address, then exported (``CONSOLIDATION``)
======================  ==================================================================

Supporting modules: ``routes`` (destinations, licences, declared roles and the hop severity
table), ``ingest`` (records into facts), ``state`` (facts, indexes, pruning, snapshots),
``report`` (findings), ``settings`` (the ``[transshipment]`` thresholds), ``timeline``.

One alert per chain: hop findings and the chain finding share the chain's subject (its
first pass-through party) and pattern key (``chain:<first leg>``), so fusion merges them;
see ``chains``. Ordinary trade that looks like transshipment (distributors breaking bulk
or selling to end users, licensed re-exports, intra-group moves, one order routed through
a forwarder, billing hubs that never receive goods) is assessed as such in ``routes``.
"""

from detectors.transshipment.detector import TransshipmentDetector
from detectors.transshipment.settings import Settings

__all__ = ["TransshipmentDetector", "Settings"]

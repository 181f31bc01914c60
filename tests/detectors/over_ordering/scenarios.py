"""Random trade scenarios for property tests of the over-ordering and end-use detectors.

One small world with every kind of party the rules care about (a PRC-owned subsidiary,
a group sharing one site, a distributor, a realty firm, a forwarder, a licence-country
buyer, an unregistered trader), and random orders and legs among them: timestamps that
collide on purpose, order ids that legs refer to, legs reported twice, every licence
field a feed may carry. Rules fire often in it, which is what invariance tests need.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from detectors.alerts import Finding
from schemas import Entity, Order, Shipment
from tests.detectors.over_ordering.builders import T0, entity, item, line, order, party, shipment

__all__ = ["WORLD", "scenarios", "split_points", "run_detector", "run_split"]

WORLD: tuple[Entity, ...] = (
    entity("ent-cn-grp", "Huaxin Holdings Co., Ltd.", "CN", "enterprise"),
    entity("ent-a", "Aurora Compute Sdn Bhd", "MY", capacity=512, parent="ent-cn-grp", ultimate_country="CN"),
    entity("ent-grp", "Meridian Holdings Pte Ltd", "SG", "enterprise", capacity=1024),
    entity("ent-b", "Beacon Cloud Pte Ltd", "SG", capacity=1024, parent="ent-grp", ultimate_country="SG",
           address="Lot 7, Jalan Teknologi, Cyberjaya"),
    entity("ent-c", "Cobalt Cloud Pte Ltd", "SG", capacity=1024, parent="ent-grp", ultimate_country="SG",
           address="Lot 7, Jalan Teknologi, Cyberjaya"),
    entity("ent-d", "Pacific Electronics Distribution Pte Ltd", "SG", "distributor"),
    entity("ent-e", "Eastern Realty LLC", "US", "other", website=None, incorporated=dt.date(2025, 1, 10),
           address="12 Maple St Apt 4, Edison, 08817"),
    entity("ent-f", "Harbor Global Freight Sdn Bhd", "MY", "freight_forwarder"),
    entity("ent-u", "Falcon Data Centers FZE", "AE", capacity=256),
)
_REGISTERED = [e for e in WORLD if e.entity_id not in ("ent-cn-grp", "ent-grp")]
_PARTIES = [party(e) for e in _REGISTERED] + [
    party(name="Straw Trading Limited", country="HK", address="Flat 3, 8/F, Block 2, Mei Foo Sun Chuen"),
    party(_REGISTERED[0], with_id=False, name="AURORA COMPUTE SDN. BHD."),  # resolved by name
]
_PRODUCTS = ["HGX-H100-8GPU", "H100-SXM5-80GB", "L40S-48GB", "H20-96GB", "RTX-4090-24GB", "DAC-CABLE-400G-2M"]
_LICENCES = [None, "NLR", "D123456", "NAC"]
_PAYERS = [None, None, party(name="Shenzhen Payer Co., Ltd.", country="CN"), party(WORLD[2])]


@st.composite
def _event(draw: st.DrawFn, index: int) -> Order | Shipment:
    day = draw(st.integers(0, 80))
    hour = draw(st.sampled_from([0, 0, 6]))  # collisions on purpose
    when = T0 + dt.timedelta(days=day, hours=hour)
    product = draw(st.sampled_from(_PRODUCTS))
    quantity = draw(st.integers(1, 120))
    order_id = f"SO-{draw(st.integers(0, 6))}"
    if draw(st.booleans()):
        buyer = draw(st.sampled_from(_PARTIES))
        return order(
            when,
            buyer,
            [line(product, quantity, unit=draw(st.sampled_from([None, 1_000.0])))],
            ship_to=draw(st.sampled_from([None, *_PARTIES])),
            end_user=draw(st.sampled_from([None, *_PARTIES])),
            payer=draw(st.sampled_from(_PAYERS)),
            end_use=draw(st.sampled_from(["cloud_services", "gaming", "resale"])),
            payment=draw(st.sampled_from(["wire", "cash"])),
            installation=draw(st.sampled_from([None, True, False])),
            expedited=draw(st.sampled_from([None, True])),
            order_id=order_id,
            event_id=f"ord-{index:04d}",
        )
    consignee = draw(st.sampled_from(_PARTIES))
    return shipment(
        when,
        consignee,
        [item(product, quantity)],
        destination=draw(st.sampled_from([None, "CN"])),
        license=draw(st.sampled_from(_LICENCES)),
        order_id=draw(st.sampled_from([None, order_id])),
        shipment_id=f"AWB-{draw(st.integers(0, 9))}",  # the same leg reported twice, sometimes
        consignee_type=draw(st.sampled_from(["direct_consumer", "freight_forwarder"])),
        event_id=f"shp-{index:04d}",
    )


@st.composite
def scenarios(draw: st.DrawFn, max_events: int = 40) -> list[Order | Shipment]:
    """Trade events sorted as the engine sorts them: (event time, event id)."""
    count = draw(st.integers(1, max_events))
    events = [draw(_event(i)) for i in range(count)]
    return sorted(events, key=lambda e: (e.event_time, e.event_id))


def split_points(length: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, length), max_size=6).map(lambda cuts: sorted(set(cuts)))


def run_detector(detector, records, ref, cuts: list[int]) -> list[Finding]:
    """``observe`` over ``records`` split at ``cuts`` (any boundaries, even inside a timestamp)."""
    findings: list[Finding] = []
    bounds = [0, *cuts, len(records)]
    for start, end in zip(bounds, bounds[1:]):
        findings.extend(detector.observe(records[start:end], ref))
    return findings


def run_split(factory, records, ref, cut: int) -> list[Finding]:
    """Stop after ``cut`` records, save the state as JSON text, resume in a new detector."""
    import json

    first = factory()
    findings = first.observe(records[:cut], ref)
    saved = json.dumps(first.to_state())
    second = factory()
    second.load_state(json.loads(saved))
    findings.extend(second.observe(records[cut:], ref))
    return findings

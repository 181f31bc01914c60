"""Transshipment: goods pass through a party in a hub and leave again, days to weeks later.

Real patterns: pass-through legs measured in days to a few weeks; ~$390M of servers
Singapore -> Malaysia; serial labels moved onto dummy servers for audits; GPUs
relabelled as "adapters" and shipped to a Hong Kong logistics firm; straw purchasers
consolidating at a New Jersey warehouse. ``completed_at`` is the leg that completes the
chain (the outbound or second sighting).
"""

from __future__ import annotations

from typing import Any

from streams.simulate.cases.base import CaseContext, CaseRecord, ItemSpec, party_ref
from streams.simulate.clock import DAY
from streams.simulate.documents import LineSpec
from streams.simulate.world import Actor

__all__ = ["serial_reexport", "pass_through_match", "multi_hop", "serial_duplicate", "misdescription",
           "straw_consolidation"]

PASS_THROUGH_FAMILIES = ("HGX-H100-8GPU", "HGX-H200-8GPU", "H100-SXM5", "H200", "A100")
#: Days a unit rests in a pass-through party before it leaves again.
DWELL_DAYS = (3.0, 28.0)
#: Outbound value uplift over inbound (the pass-through's margin).
MARKUP = (1.0, 1.25)


def _us_seller(ctx: CaseContext, product_category: str) -> Actor:
    role = "oem_server" if product_category == "dc_server" else "chip_vendor"
    return ctx.pick_party(role, "US")


def _final(ctx: CaseContext, country: str) -> Actor:
    industry = ctx.rng.choice(("reseller", "enterprise", "logistics"))
    business = {"reseller": "reseller", "enterprise": "enterprise", "logistics": "logistics"}[industry]
    return ctx.company(country, industry, business, registered=ctx.rng.random() < 0.5,
                       website=ctx.rng.random() < 0.3)


def _inbound(ctx: CaseContext, ts: int, hub: Actor, *, serials: bool, units_range: tuple[int, int] = (8, 48),
             families: tuple[str, ...] = PASS_THROUGH_FAMILIES, licence: str = "NLR"
             ) -> tuple[dict[str, Any], list[dict[str, Any]], list[ItemSpec]]:
    product, name = ctx.datacenter_choice(ctx.date(ts), families)
    units = ctx.rng.randint(*units_range) * (1 if product.accelerators_per_unit > 1 else 8)
    lines: list[LineSpec] = [(product, name, units, ctx.price(product))]
    seller = _us_seller(ctx, product.category)
    order = ctx.order(ts, seller=seller, buyer=hub, lines=lines,
                      declared_end_use=ctx.rng.choice(("cloud_services", "ai_training", "resale")),
                      installation_requested=False if product.category == "dc_server" else None)
    legs, shipped = ctx.fulfil(order, seller=seller, consignee=hub, lines=lines, serials=serials, legs=1,
                               license=licence)
    return order, legs, shipped


def _outbound(ctx: CaseContext, ts: int, shipper: Actor, consignee: Actor, shipped: list[ItemSpec], *,
              respell: bool = False, consignee_type: str = "reseller") -> dict[str, Any]:
    markup = ctx.rng.uniform(*MARKUP)
    items = [ItemSpec(s.product, s.name, s.quantity, int(s.unit_value * markup), s.serials,
                      declared_product=s.name.replace("-", " ").lower() if respell else None,
                      eccn=ctx.rng.random() < 0.4, hts=True) for s in shipped]
    return ctx.leg(ts, shipper=shipper, consignee=consignee, items=items, source=ctx.export_source(shipper, serials=True),
                   consignee_type=consignee_type, license=None,
                   freight_forwarder=ctx.forwarder(shipper.country) if ctx.rng.random() < 0.5 else None)


def _accelerators(shipped: list[ItemSpec]) -> int:
    return sum(s.quantity * max(1, s.product.accelerators_per_unit) for s in shipped)


def serial_reexport(ctx: CaseContext) -> CaseRecord:
    hub_country = ctx.rng.choice(("SG", "MY"))
    hub = ctx.company(hub_country, ctx.rng.choice(("reseller", "cloud_provider")), "reseller", capacity=None)
    destination = "VN" if ctx.index % 3 == 2 else ctx.rng.choice(("CN", "HK"))
    final = _final(ctx, destination)
    ts = ctx.window(ctx.span_days(60))
    order, legs, shipped = _inbound(ctx, ts, hub, serials=True)
    out_ts = ctx.later(ctx_ts(legs[-1]), *DWELL_DAYS)
    out = _outbound(ctx, out_ts, hub, final, shipped)
    dwell = (out_ts - ctx_ts(legs[-1])) / DAY
    return ctx.record(
        description=f"{_accelerators(shipped)} accelerators imported into {hub.name} ({hub_country}) with serials "
                    f"and re-exported with the same serials to {destination} after {dwell:.0f} days.",
        subject=hub,
        parties=[party_ref(hub, "pass_through"), party_ref(final, "final_consignee")],
        completed_by=out,
        red_flags=["SERIAL_REEXPORT", "LICENCE_REQUIRED_DESTINATION", "TRANSSHIPMENT_POINT_ROUTE"],
        details={"dwell_days": round(dwell, 1), "serials": sum(len(s.serials or []) for s in shipped),
                 "destination": destination},
    )


def pass_through_match(ctx: CaseContext) -> CaseRecord:
    hub_country = ctx.rng.choice(("TH", "AE", "ID"))
    hub = ctx.company(hub_country, "reseller", "reseller")
    destination = ctx.rng.choice(("CN", "HK"))
    final = _final(ctx, destination)
    ts = ctx.window(ctx.span_days(60))
    licence = ctx.ids.licence_number() if ctx.refs.countries.requires_licence(hub_country) else "NLR"
    order, legs, shipped = _inbound(ctx, ts, hub, serials=False, licence=licence)
    out_ts = ctx.later(ctx_ts(legs[-1]), 2, 20)
    out = _outbound(ctx, out_ts, hub, final, shipped, respell=True)
    return ctx.record(
        description=f"{hub.name} ({hub_country}) received {shipped[0].quantity} x {shipped[0].product.family} "
                    f"and shipped the same quantity of the same product to {destination} within days (no serials).",
        subject=hub,
        parties=[party_ref(hub, "pass_through"), party_ref(final, "final_consignee")],
        completed_by=out,
        red_flags=["PASS_THROUGH_MATCH", "LICENCE_REQUIRED_DESTINATION", "TRANSSHIPMENT_POINT_ROUTE"],
        details={"inbound_value_usd": legs[-1]["declared_value_usd"], "outbound_value_usd": out["declared_value_usd"],
                 "dwell_days": round((out_ts - ctx_ts(legs[-1])) / DAY, 1)},
    )


def multi_hop(ctx: CaseContext) -> CaseRecord:
    with_serials = ctx.index % 2 == 0
    first_country, second_country = ("SG", ctx.rng.choice(("MY", "MY", "TH"))) if with_serials else ("ID", "TH")
    hub_a = ctx.company(first_country, "reseller", "reseller")
    hub_b = ctx.company(second_country, ctx.rng.choice(("reseller", "logistics")), "reseller")
    destination = ctx.rng.choice(("CN", "HK"))
    final = _final(ctx, destination)
    ts = ctx.window(ctx.span_days(90))
    order, legs, shipped = _inbound(ctx, ts, hub_a, serials=with_serials)
    hop_ts = ctx.later(ctx_ts(legs[-1]), *DWELL_DAYS)
    _outbound(ctx, hop_ts, hub_a, hub_b, shipped)
    last_ts = ctx.later(hop_ts, *DWELL_DAYS)
    last = _outbound(ctx, last_ts, hub_b, final, shipped)
    flags = ["MULTI_HOP_CHAIN", "LICENCE_REQUIRED_DESTINATION", "TRANSSHIPMENT_POINT_ROUTE"]
    if with_serials:
        flags.insert(1, "SERIAL_REEXPORT")
    return ctx.record(
        description=f"Chain vendor -> {hub_a.name} ({first_country}) -> {hub_b.name} ({second_country}) -> "
                    f"{destination}, {'with' if with_serials else 'without'} serials on the documents.",
        subject=hub_a,
        parties=[party_ref(hub_a, "pass_through"), party_ref(hub_b, "next_hop"), party_ref(final, "final_consignee")],
        completed_by=last,
        red_flags=flags,
        details={"hops": [first_country, second_country, destination], "serials_on_documents": with_serials},
    )


def serial_duplicate(ctx: CaseContext) -> CaseRecord:
    hub = ctx.company("MY", ctx.rng.choice(("reseller", "cloud_provider")), "reseller")
    ts = ctx.window(ctx.span_days(120))
    order, legs, shipped = _inbound(ctx, ts, hub, serials=True, units_range=(4, 16),
                                    families=("HGX-H100-8GPU", "HGX-H200-8GPU"))
    first_ts = ctx.later(ctx_ts(legs[-1]), *DWELL_DAYS)
    hk_buyer = _final(ctx, "HK")
    first = _outbound(ctx, first_ts, hub, hk_buyer, shipped)
    parties = [party_ref(hub, "pass_through"), party_ref(hk_buyer, "final_consignee")]
    if ctx.index % 2 == 0:
        variant = "two_places_at_once"
        decoy_shipper = ctx.company("TH", "reseller", "reseller", registered=False, website=False)
        decoys = [ItemSpec(s.product, s.name, s.quantity, int(s.unit_value * 0.1), s.serials) for s in shipped]
        second = ctx.leg(ctx.later(first_ts, 0.5, 4), shipper=decoy_shipper, consignee=hub, items=decoys,
                         source="customs-my", consignee_type="direct_consumer", license=None)
        parties.append(party_ref(decoy_shipper, "decoy_shipper"))
    else:
        variant = "exported_twice"
        cn_buyer = _final(ctx, "CN")
        second = _outbound(ctx, ctx.later(first_ts, 20, 60), hub, cn_buyer, shipped)
        parties.append(party_ref(cn_buyer, "final_consignee"))
    return ctx.record(
        description=f"Serials of units {hub.name} (MY) exported to HK appear again "
                    f"({variant.replace('_', ' ')}).",
        subject=hub,
        parties=parties,
        completed_by=second,
        red_flags=["SERIAL_DUPLICATE", "SERIAL_REEXPORT"],
        details={"variant": variant, "serials": sum(len(s.serials or []) for s in shipped)},
    )


def misdescription(ctx: CaseContext) -> CaseRecord:
    heading = ctx.refs.catalogue.unrelated_headings[ctx.index % len(ctx.refs.catalogue.unrelated_headings)]
    hk_firm = ctx.company("HK", "logistics", "logistics", website=ctx.rng.random() < 0.5)
    ts = ctx.window(ctx.span_days(75))
    if ctx.index % 2 == 0:
        variant = "us_warehouse"
        shipper = ctx.company("US", "logistics", "logistics", website=False)
        gpus: list[ItemSpec] = []
        for n in range(ctx.rng.randint(1, 3)):
            product, name = ctx.datacenter_choice(ctx.date(ts), ("H100-PCIE", "A100", "L40S"))
            quantity = ctx.rng.randint(20, 120)
            lines: list[LineSpec] = [(product, name, quantity, ctx.price(product))]
            ctx.order(ts + n * int(ctx.rng.uniform(2, 10) * DAY), seller=ctx.distributor("US"), buyer=shipper,
                      lines=lines, declared_end_use="enterprise_it", payment_method="wire")
            gpus.append(ItemSpec(product, name, quantity, lines[0][3]))
        out_ts = ctx.later(ts, 15, 40)
    else:
        variant = "hub_relabel"
        shipper = ctx.company(ctx.rng.choice(("MY", "SG")), "reseller", "reseller")
        _, legs, gpus = _inbound(ctx, ts, shipper, serials=True, units_range=(4, 20), families=("H100-SXM5", "H100-PCIE", "L40S"))
        out_ts = ctx.later(ctx_ts(legs[-1]), *DWELL_DAYS)
    quantity = sum(g.quantity for g in gpus)
    unit_value = int(sum(g.quantity * g.unit_value for g in gpus) / quantity)
    model = ctx.rng.choice(("240W", "500W", "X2", "UNBRANDED", "MODEL-7"))
    declared = ItemSpec(gpus[0].product, gpus[0].name, quantity, unit_value, None,
                        declared_product=f"{heading.product_hint} {model}",
                        declared_sku=f"GEN-{heading.hts.replace('.', '')}-{model}", eccn="EAR99", hts=heading.hts)
    out = ctx.leg(out_ts, shipper=shipper, consignee=hk_firm, items=[declared], source=ctx.export_source(shipper, serials=False),
                  consignee_type="reseller", license="NLR")
    return ctx.record(
        description=f"{quantity} GPUs received by {shipper.name} ({shipper.country}) left for a Hong Kong logistics "
                    f"firm declared as '{heading.description}' (HTS {heading.hts}) at ${unit_value:,} a unit.",
        subject=shipper,
        parties=[party_ref(shipper, "exporter"), party_ref(hk_firm, "final_consignee")],
        completed_by=out,
        red_flags=["MISDESCRIPTION", "DECLARED_VALUE_MISMATCH", "LICENCE_REQUIRED_DESTINATION"],
        details={"variant": variant, "declared_hts": heading.hts, "declared_unit_value_usd": unit_value,
                 "typical_unit_value_usd": [heading.typical_unit_value_usd.min, heading.typical_unit_value_usd.max]},
    )


def straw_consolidation(ctx: CaseContext) -> CaseRecord:
    consolidator = ctx.company("US", "logistics", "logistics", registered=ctx.rng.random() < 0.6, website=False)
    hk_firm = ctx.company("HK", "logistics", "logistics", website=ctx.rng.random() < 0.5)
    span = ctx.span_days(60)
    start = ctx.window(span + 20)
    straws = []
    bought: dict[str, ItemSpec] = {}
    for n in range(ctx.rng.randint(8, 16)):
        straw = ctx.company("US", ctx.rng.choice(("enterprise", "reseller")), "enterprise", registered=False,
                            website=False, residential=True)
        straws.append(straw)
        ts = start + int(ctx.rng.uniform(0, span) * DAY)
        product, name = ctx.datacenter_choice(ctx.date(ts), ("H100-PCIE", "L40S", "RTX-6000-ADA", "A100"))
        quantity = ctx.rng.randint(2, 8)
        lines: list[LineSpec] = [(product, name, quantity, ctx.price(product))]
        if ctx.rng.random() < 0.5:
            ship_to = {"name": ctx.rng.choice(consolidator.spellings), "country": "US", "address": consolidator.address}
        else:
            ship_to = {"name": f"{straw.name} c/o {consolidator.aliases[0] if consolidator.aliases else consolidator.name}",
                       "country": "US", "address": consolidator.address}
        ctx.order(ts, seller=ctx.distributor("US"), buyer=straw, ship_to=ship_to, lines=lines,
                  declared_end_use=ctx.rng.choice(("enterprise_it", "ai_inference", "gaming", "other")),
                  payment_method=ctx.rng.choice(("card", "wire", "card")))
        held = bought.setdefault(name, ItemSpec(product, name, 0, lines[0][3]))
        held.quantity += quantity
    out_ts = start + int((span + ctx.rng.uniform(3, 15)) * DAY)
    items = list(bought.values())
    out = ctx.leg(out_ts, shipper=consolidator, consignee=hk_firm, items=items, source="aes",
                  consignee_type=ctx.rng.choice(("freight_forwarder", "reseller")), license="NLR")
    total = sum(i.quantity for i in items)
    return ctx.record(
        description=f"{len(straws)} unrelated buyers each bought a few GPUs delivered to {consolidator.name}'s "
                    f"address; {total} units then left for a Hong Kong logistics firm.",
        subject=consolidator,
        parties=[party_ref(consolidator, "consolidator"), party_ref(hk_firm, "final_consignee")]
        + [party_ref(s, "straw_buyer") for s in straws],
        completed_by=out,
        red_flags=["CONSOLIDATION", "LICENCE_REQUIRED_DESTINATION", "RESIDENTIAL_ADDRESS"],
        details={"straw_buyers": len(straws), "units": total, "consolidation_address": consolidator.address},
    )


def ctx_ts(event: dict[str, Any]) -> int:
    """Epoch seconds of an event's ``event_time``."""
    from streams.simulate.cases.base import _ts_of

    return _ts_of(event["event_time"])

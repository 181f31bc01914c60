"""Over-ordering: buying more advanced accelerators than the buyer can house or use.

Real pattern: a Singapore company spun off from a Chinese group bought ~$2B through a
Malaysian subsidiary that received 200+ shipments in a year; research models PRC-linked
clouds abroad diverting part of bulk orders. ``completed_at`` is the order at which the
pattern is first fully present (capacity patterns: the order that takes the cumulative
total past the declared capacity).
"""

from __future__ import annotations

from typing import Any

from streams.simulate.cases.base import CaseContext, CaseRecord, party_ref
from streams.simulate.clock import DAY
from streams.simulate.documents import LineSpec
from streams.simulate.world import Actor

__all__ = ["subsidiary_over_capacity", "group_over_capacity", "no_declared_capacity",
           "first_time_large_order", "order_burst"]

SERVER_FAMILIES = ("HGX-H100-8GPU", "HGX-H200-8GPU", "HGX-B200-8GPU", "DGX-H100")
#: Over-capacity multiple reached over the case window (declared capacity x this).
OVER_CAPACITY_MULTIPLE = (2.5, 4.0)
#: The burst in the real case: ~$510M of servers in about three weeks.
BURST_VALUE_USD = 510_000_000
BURST_DAYS = 21


def _server_order(ctx: CaseContext, ts: int, buyer: Actor, accelerators: int, *, ship_to: Actor | None = None,
                  end_use: str = "cloud_services", premium: float = 1.0) -> tuple[dict[str, Any], int, list[LineSpec]]:
    product, name = ctx.datacenter_choice(ctx.date(ts), SERVER_FAMILIES)
    units = ctx.units_for(product, accelerators)
    lines: list[LineSpec] = [(product, name, units, ctx.price(product, premium))]
    seller = ctx.oem()
    order = ctx.order(ts, seller=seller, buyer=buyer, ship_to=ship_to or buyer, lines=lines, declared_end_use=end_use,
                      end_user=ship_to or buyer if ctx.rng.random() < 0.5 else None, installation_requested=True)
    ctx.fulfil(order, seller=seller, consignee=ship_to or buyer, lines=lines)
    return order, units * product.accelerators_per_unit, lines


def _spread(ctx: CaseContext, total: int, count: int) -> list[int]:
    """``total`` accelerators over ``count`` orders of uneven size, in multiples of 8."""
    weights = [ctx.rng.uniform(0.5, 1.5) for _ in range(count)]
    scale = total / sum(weights)
    return [max(8, int(w * scale) // 8 * 8) for w in weights]


def subsidiary_over_capacity(ctx: CaseContext) -> CaseRecord:
    parent_country = ctx.rng.choice(("SG", "SG", "AE"))
    parent = ctx.company(parent_country, "holding", "enterprise")
    capacity = ctx.rng.choice((1024, 2048, 4096))
    sub = ctx.company("MY", "cloud_provider", "cloud_provider", capacity=capacity, parent=parent, ownership_pct=100.0)
    span = ctx.span_days(300)
    start = ctx.window(span)
    total = int(capacity * ctx.rng.uniform(*OVER_CAPACITY_MULTIPLE))
    count = ctx.rng.randint(12, 24)
    sizes = _spread(ctx, total, count)
    times = sorted(start + int(ctx.rng.uniform(0, span) * DAY) for _ in range(count))
    cumulative, crossing = 0, None
    for ts, size in zip(times, sizes):
        order, accelerators, _ = _server_order(ctx, ts, sub, size)
        cumulative += accelerators
        if crossing is None and cumulative > capacity:
            crossing = order
    assert crossing is not None
    return ctx.record(
        description=f"Malaysian subsidiary of a group headquartered in {parent_country} ordered {cumulative} accelerators over "
                    f"{span} days against a declared capacity of {capacity}.",
        subject=sub,
        parties=[party_ref(sub, "subsidiary"), party_ref(parent, "group_parent")],
        completed_by=crossing,
        red_flags=["OVER_CAPACITY"],
        evidence_actors=(sub,),
        details={"declared_capacity": capacity, "accelerators_ordered": cumulative, "window_days": span,
                 "orders": count},
    )


def group_over_capacity(ctx: CaseContext) -> CaseRecord:
    parent = ctx.company(ctx.rng.choice(("SG", "AE", "TH")), "holding", "enterprise")
    facility = ctx.rng.choice((1024, 2048, 3072))
    parent.declared_capacity = facility
    site_address = ctx.world.names.address(ctx.rng, "MY")
    subs = []
    for _ in range(ctx.rng.randint(3, 4)):
        sub = ctx.company("MY", "cloud_provider", "cloud_provider", capacity=facility, parent=parent,
                          ownership_pct=float(ctx.rng.choice((100, 100, 80, 60))))
        sub.address = site_address  # every subsidiary declares the same shared facility
        subs.append(sub)
    span = ctx.span_days(300)
    start = ctx.window(span)
    plan: list[tuple[int, Actor, int]] = []
    per_sub: dict[str, int] = {}
    for sub in subs:
        share = int(facility * ctx.rng.uniform(0.6, 0.9))
        count = ctx.rng.randint(3, 6)
        for size in _spread(ctx, share, count):
            plan.append((start + int(ctx.rng.uniform(0, span) * DAY), sub, size))
    plan.sort(key=lambda p: p[0])
    cumulative, crossing = 0, None
    for ts, sub, size in plan:
        order, accelerators, _ = _server_order(ctx, ts, sub, size)
        cumulative += accelerators
        per_sub[sub.entity_id or sub.name] = per_sub.get(sub.entity_id or sub.name, 0) + accelerators
        if crossing is None and cumulative > facility:
            crossing = order
    assert crossing is not None
    return ctx.record(
        description=f"{len(subs)} subsidiaries of one group each order below their own declaration for a shared "
                    f"facility, but together order {cumulative} accelerators against the group's {facility}.",
        subject=parent,
        parties=[party_ref(parent, "group_parent")] + [party_ref(s, "subsidiary") for s in subs],
        completed_by=crossing,
        red_flags=["GROUP_OVER_CAPACITY"],
        evidence_actors=(parent, *subs),
        details={"group_capacity": facility, "accelerators_ordered": cumulative,
                 "per_subsidiary": per_sub, "shared_address": site_address},
    )


def no_declared_capacity(ctx: CaseContext) -> CaseRecord:
    country = ctx.rng.choice(("SG", "MY", "TH", "AE", "US", "ID"))
    absent = ctx.index % 2 == 0
    buyer = ctx.company(country, ctx.rng.choice(("cloud_provider", "ai_lab")), "cloud_provider",
                        capacity=None if absent else 0)
    span = ctx.span_days(120)
    start = ctx.window(span)
    first = None
    total = 0
    for n in range(ctx.rng.randint(2, 4)):
        ts = start + int(ctx.rng.uniform(0, span) * DAY) if n else start
        order, accelerators, _ = _server_order(ctx, ts, buyer, ctx.rng.choice((64, 128, 256)),
                                               end_use=ctx.rng.choice(("ai_training", "cloud_services")))
        total += accelerators
        first = first or order
    assert first is not None
    return ctx.record(
        description=f"{buyer.business_type} in {country} with {'no' if absent else 'zero'} declared capacity "
                    f"ordered {total} data-centre accelerators for its own use.",
        subject=buyer,
        parties=[party_ref(buyer, "buyer")],
        completed_by=first,
        red_flags=["NO_DECLARED_CAPACITY"],
        evidence_actors=(buyer,),
        details={"declared_capacity": None if absent else 0, "accelerators_ordered": total},
    )


def first_time_large_order(ctx: CaseContext) -> CaseRecord:
    country = ctx.rng.choice(("SG", "MY", "TH", "VN", "AE", "ID", "IN"))
    buyer = ctx.company(country, "cloud_provider", "cloud_provider", capacity=ctx.rng.choice((4096, 8192)))
    ts = ctx.window(30)
    accelerators = ctx.rng.choice((512, 768, 1024, 2048))
    lines_licence = "NLR"
    product, name = ctx.datacenter_choice(ctx.date(ts), SERVER_FAMILIES)
    units = ctx.units_for(product, accelerators)
    lines: list[LineSpec] = [(product, name, units, ctx.price(product, 1.05))]
    seller = ctx.oem()
    order = ctx.order(ts, seller=seller, buyer=buyer, lines=lines, declared_end_use="cloud_services",
                      installation_requested=True, expedited=ctx.rng.random() < 0.5)
    if ctx.refs.countries.requires_licence(country):
        lines_licence = ctx.ids.licence_number()
    ctx.fulfil(order, seller=seller, consignee=buyer, lines=lines, license=lines_licence)
    return ctx.record(
        description=f"First-ever order from {buyer.name} ({country}): {units} x {product.family} "
                    f"({units * product.accelerators_per_unit} accelerators).",
        subject=buyer,
        parties=[party_ref(buyer, "buyer")],
        completed_by=order,
        red_flags=["FIRST_TIME_LARGE_ORDER", "POST_OCT_2022_ENTRANT"],
        evidence_actors=(buyer,),
        details={"accelerators": units * product.accelerators_per_unit, "order_value_usd": order["order_value_usd"]},
    )


def order_burst(ctx: CaseContext) -> CaseRecord:
    country = ctx.rng.choice(("SG", "MY", "TH"))
    buyer = ctx.company(country, "cloud_provider", "cloud_provider", capacity=16384)
    target = BURST_VALUE_USD if ctx.index == 0 else int(ctx.rng.uniform(0.4, 1.0) * BURST_VALUE_USD)
    span = ctx.span_days(120)
    baseline_start = ctx.window(span)
    # A thin baseline first: a few small orders months before the burst.
    for n in range(3):
        _server_order(ctx, baseline_start + n * int(ctx.rng.uniform(15, 30) * DAY), buyer, 16)
    burst_start = baseline_start + int(min(span - BURST_DAYS - 1, 90) * DAY)
    burst_days = min(BURST_DAYS, ctx.span_days(BURST_DAYS))
    value = 0
    last = None
    times = []
    while value < target:
        ts = burst_start + int(ctx.rng.uniform(0, burst_days) * DAY)
        product, name = ctx.datacenter_choice(ctx.date(ts), ("HGX-H200-8GPU", "HGX-H100-8GPU", "HGX-B200-8GPU"))
        units = min(ctx.rng.randint(40, 120), max(1, int((target - value) / product.unit_value_usd.min) + 1))
        lines: list[LineSpec] = [(product, name, units, ctx.price(product, 1.1))]
        times.append((ts, lines))
        value += units * lines[0][3]
    times.sort(key=lambda t: t[0])
    burst_value = 0
    for ts, lines in times:
        seller = ctx.oem()
        order = ctx.order(ts, seller=seller, buyer=buyer, lines=lines, declared_end_use="cloud_services",
                          installation_requested=ctx.rng.random() < 0.3, expedited=True)
        ctx.fulfil(order, seller=seller, consignee=buyer, lines=lines, lag_days=(1, 5))
        burst_value += order["order_value_usd"]
        last = order
    assert last is not None
    return ctx.record(
        description=f"${burst_value / 1e6:,.0f}M of 8-GPU servers ordered by {buyer.name} ({country}) in "
                    f"{burst_days} days, against a baseline of a few small orders.",
        subject=buyer,
        parties=[party_ref(buyer, "buyer")],
        completed_by=last,
        red_flags=["ORDER_BURST"],
        evidence_actors=(buyer,),
        details={"burst_value_usd": burst_value, "burst_days": burst_days, "burst_orders": len(times)},
    )

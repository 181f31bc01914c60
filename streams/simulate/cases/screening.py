"""Screening: listed parties reaching the goods under other spellings, owners or names.

Screening users complain about false positives from common words and want
transliteration-aware matching; real evasion uses exactly those variants, bare names
without registry ids, addresses shared with listed parties, and affiliates owned 50% or
more by a listed party (Affiliates Rule, Sept 2025). ``completed_at`` is the first
document that names the party (for a mid-period listing: the first order after it).
"""

from __future__ import annotations

from typing import Any

from streams.simulate.cases.base import CaseContext, CaseRecord, party_ref
from streams.simulate.clock import DAY, iso
from streams.simulate.documents import LineSpec
from streams.simulate.names import LISTED_VARIANT_KINDS, CompanyName
from streams.simulate.world import Actor

__all__ = ["listed_name_variant", "listed_unresolved", "listed_address", "listed_affiliate", "newly_listed_party"]

SERVERS = ("HGX-H100-8GPU", "HGX-H200-8GPU", "DGX-H100")
UNCONTROLLED = ("CPU-SERVER-2S", "IB-SWITCH", "NIC-400G", "DAC-CABLE")
#: Listed entries whose groups have registered affiliates abroad in the simulation.
AFFILIATE_GROUPS = ("el-inspur", "el-sugon", "el-higon", "el-phytium", "el-sophgo", "el-zhipu")


def _entry(ctx: CaseContext, offset: int = 0) -> dict[str, Any]:
    entries = ctx.refs.screening.entries
    return entries[(ctx.index + offset) % len(entries)]


def _listed_country(entry: dict[str, Any]) -> str:
    addresses = entry.get("addresses") or [{"country": "CN"}]
    return addresses[0]["country"]


def _intermediary_chain(ctx: CaseContext, listed_party: dict[str, Any], *, as_end_user: bool) -> tuple[Actor, dict, dict]:
    """A hub trader orders servers (naming the listed party as end user) and ships them on to it."""
    trader = ctx.company(ctx.rng.choice(("SG", "MY")), "reseller", "reseller")
    ts = ctx.window(ctx.span_days(60))
    product, name = ctx.datacenter_choice(ctx.date(ts), SERVERS)
    lines: list[LineSpec] = [(product, name, ctx.rng.randint(2, 12), ctx.price(product))]
    seller = ctx.oem()
    order = ctx.order(ts, seller=seller, buyer=trader, lines=lines, declared_end_use="hpc_research",
                      end_user=listed_party if as_end_user else None)
    legs, shipped = ctx.fulfil(order, seller=seller, consignee=trader, lines=lines, legs=1)
    onward_ts = ctx.later(ts, 10, 35)
    from streams.simulate.cases.base import ItemSpec

    onward = ctx.leg(onward_ts, shipper=trader, consignee=listed_party,
                     items=[ItemSpec(s.product, s.name, s.quantity, s.unit_value, s.serials) for s in shipped],
                     source=ctx.export_source(trader, serials=True), license=None, consignee_type="other_unknown",
                     destination=listed_party["country"])
    return trader, order, onward


def listed_name_variant(ctx: CaseContext) -> CaseRecord:
    kinds = (LISTED_VARIANT_KINDS[(2 * ctx.index) % 5], LISTED_VARIANT_KINDS[(2 * ctx.index + 1) % 5])
    variant = None
    for offset in range(len(ctx.refs.screening.entries)):
        entry = _entry(ctx, offset)
        for base in ctx.refs.screening.names(entry):
            first = ctx.world.names.listed_variant(ctx.rng, base, kinds[0])
            second = first and ctx.world.names.listed_variant(ctx.rng, first, kinds[1])
            if second and second != base and second not in ctx.refs.screening.names(entry):
                variant = second
                break
        if variant:
            break
    assert variant is not None
    party = {"name": variant, "country": _listed_country(entry)}
    if ctx.rng.random() < 0.3:
        party["address"] = entry["addresses"][0]["address"]
    as_end_user = ctx.index % 2 == 0
    trader, order, onward = _intermediary_chain(ctx, party, as_end_user=as_end_user)
    return ctx.record(
        description=f"Listed party '{entry['name']}' appears as '{variant}' ({' + '.join(kinds)}), with no entity_id.",
        subject=party,
        parties=[party_ref(party, "listed_party"), party_ref(trader, "intermediary")],
        completed_by=order if as_end_user else onward,
        red_flags=["LISTED_PARTY_MATCH"],
        extra_evidence=(entry["event_id"],),
        details={"entry_id": entry["entry_id"], "listed_name": entry["name"], "variant": variant,
                 "variant_kinds": list(kinds)},
    )


def listed_unresolved(ctx: CaseContext) -> CaseRecord:
    entry = _entry(ctx, 3)
    names = ctx.refs.screening.names(entry)
    typed = names[ctx.rng.randrange(len(names))]
    party = {"name": typed, "country": _listed_country(entry)}
    trader, order, onward = _intermediary_chain(ctx, party, as_end_user=ctx.rng.random() < 0.5)
    completed = order if "end_user" in order else onward
    return ctx.record(
        description=f"Listed party '{entry['name']}' named exactly ('{typed}') on documents, never resolved to an entity_id.",
        subject=party,
        parties=[party_ref(party, "listed_party"), party_ref(trader, "intermediary")],
        completed_by=completed,
        red_flags=["LISTED_PARTY_MATCH"],
        extra_evidence=(entry["event_id"],),
        details={"entry_id": entry["entry_id"], "typed_name": typed},
    )


def listed_address(ctx: CaseContext) -> CaseRecord:
    entry = _entry(ctx, 6)
    listed = entry["addresses"][0]
    front = ctx.company(listed["country"], ctx.rng.choice(("reseller", "enterprise")), "enterprise", registered=False,
                       website=False)
    party = {"name": front.name, "country": listed["country"], "address": f"{listed['address']}, {listed['city']}"}
    trader, order, onward = _intermediary_chain(ctx, party, as_end_user=False)
    return ctx.record(
        description=f"Goods consigned to '{front.name}' at the listed address of '{entry['name']}'.",
        subject=party,
        parties=[party_ref(party, "front_company"), party_ref(trader, "intermediary")],
        completed_by=onward,
        red_flags=["LISTED_PARTY_ADDRESS"],
        extra_evidence=(entry["event_id"],),
        details={"entry_id": entry["entry_id"], "listed_address": listed["address"]},
    )


def _listed_entity(ctx: CaseContext, entry: dict[str, Any]) -> Actor:
    """The listed party's own registry record (created once, shared by its affiliates)."""
    for actor in ctx.world.role("listed_party"):
        if actor.name == entry["name"]:
            return actor
    alt = entry.get("alt_names") or []
    name = CompanyName(legal=entry["name"], alias=alt[0] if alt else entry["name"], suffix="")
    actor = ctx.world.new_company(ctx.rng, _listed_country(entry), "holding", "enterprise", "listed_party",
                                  name=name)
    actor.address = f"{entry['addresses'][0]['address']}, {entry['addresses'][0]['city']}"
    actor.aliases = tuple(alt[:3])
    return actor


def listed_affiliate(ctx: CaseContext) -> CaseRecord:
    entry = ctx.refs.screening.by_entry_id(AFFILIATE_GROUPS[ctx.index % len(AFFILIATE_GROUPS)])
    listed = _listed_entity(ctx, entry)
    parties = [party_ref(listed, "listed_parent")]
    direct = ctx.index % 2 == 0
    owner = listed
    if not direct:
        owner = ctx.company("HK", "holding", "enterprise", parent=listed, ownership_pct=100.0)
        parties.append(party_ref(owner, "intermediate_holding"))
    stake = float(ctx.rng.choice((51, 60, 75, 100)))
    affiliate = ctx.company(ctx.rng.choice(("SG", "MY", "AE")), ctx.rng.choice(("cloud_provider", "enterprise")),
                            "enterprise", parent=owner, ownership_pct=stake, capacity=ctx.rng.choice((256, 512)))
    ts = ctx.window(ctx.span_days(30))
    families = UNCONTROLLED if direct else SERVERS
    product, name = ctx.datacenter_choice(ctx.date(ts), families)
    lines: list[LineSpec] = [(product, name, ctx.rng.randint(2, 20), ctx.price(product))]
    seller = ctx.oem() if product.category in ("dc_server", "cpu_server") else ctx.vendor()
    order = ctx.order(ts, seller=seller, buyer=affiliate, lines=lines, declared_end_use="enterprise_it")
    licence = ctx.ids.licence_number() if ctx.refs.countries.requires_licence(affiliate.country) else "NLR"
    ctx.fulfil(order, seller=seller, consignee=affiliate, lines=lines, license=licence)
    flags = ["LISTED_PARTY_OWNED"] if direct else ["LISTED_PARTY_OWNED", "HQ_D5_PARENT_NO_LICENCE"]
    return ctx.record(
        description=f"{affiliate.name} ({affiliate.country}) is {stake:.0f}% owned "
                    f"{'directly' if direct else 'through a Hong Kong holding'} by listed '{entry['name']}'.",
        subject=affiliate,
        parties=[party_ref(affiliate, "affiliate"), *parties],
        completed_by=order,
        red_flags=flags,
        evidence_actors=(affiliate, listed) if direct else (affiliate, owner, listed),
        extra_evidence=(entry["event_id"],),
        details={"entry_id": entry["entry_id"], "ownership_pct": stake, "chain": "direct" if direct else "via_holding"},
    )


def newly_listed_party(ctx: CaseContext) -> CaseRecord:
    trader = ctx.company(ctx.rng.choice(("SG", "MY", "AE")), "reseller", "reseller")
    list_ts = ctx.start_ts + int(ctx.config.days * ctx.rng.uniform(0.4, 0.6)) * DAY
    before, after = [], []
    for n in range(ctx.rng.randint(2, 4)):
        ts = ctx.start_ts + int(ctx.rng.uniform(2, max(3.0, (list_ts - ctx.start_ts) / DAY - 2)) * DAY)
        before.append(_trader_order(ctx, trader, ts))
    entry_id = f"el-sim-{ctx.ids.digits(6)}"
    listed_day = ctx.date(list_ts)
    entry = {
        "event_id": ctx.ids.event_id("scr"),
        "event_type": "screening_entry",
        "event_time": iso(list_ts),
        "source": "csl",
        "schema_version": 1,
        "entry_id": entry_id,
        "list": "entity_list",
        "name": trader.name,
        "alt_names": [*trader.aliases, trader.name.upper()],
        "addresses": [{"address": trader.address or "", "country": trader.country}],
        "start_date": listed_day.isoformat(),
        "federal_register_notice": f"{90 + listed_day.year - 2025} FR {ctx.ids.digits(5)}",
    }
    ctx.events.append(entry)
    for n in range(ctx.rng.randint(2, 3)):
        ts = list_ts + int(ctx.rng.uniform(2, max(3.0, (ctx.end_ts - list_ts) / DAY - 2)) * DAY)
        after.append(_trader_order(ctx, trader, ts))
    after.sort(key=lambda e: e["event_time"])
    return ctx.record(
        description=f"{trader.name} ({trader.country}) traded normally, was added to the Entity List on "
                    f"{listed_day.isoformat()}, and kept receiving orders afterwards.",
        subject=trader,
        parties=[party_ref(trader, "listed_party")],
        completed_by=after[0],
        red_flags=["NEWLY_LISTED_PARTY", "LISTED_PARTY_MATCH"],
        evidence_events=[entry, *after],
        details={"entry_id": entry_id, "listed_on": listed_day.isoformat(), "orders_before_listing": len(before)},
    )


def _trader_order(ctx: CaseContext, trader: Actor, ts: int) -> dict[str, Any]:
    product, name = ctx.datacenter_choice(ctx.date(ts), ("L40S", "H100-PCIE", "IB-SWITCH", "CPU-SERVER-2S"))
    lines: list[LineSpec] = [(product, name, ctx.rng.randint(4, 40), ctx.price(product))]
    seller = ctx.distributor("US")
    order = ctx.order(ts, seller=seller, buyer=trader, lines=lines, declared_end_use="resale")
    ctx.fulfil(order, seller=seller, consignee=trader, lines=lines, consignee_type="reseller")
    return order

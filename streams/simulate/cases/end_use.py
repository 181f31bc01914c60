"""End use: the buyer, its money or its story does not fit the goods.

Real patterns: a US "realty" LLC buying ~400 A100 shipped via Malaysia and Thailand to
China and paid by ~$3.9M of wires from China; Singapore companies falsely claiming to be
end users; a Malaysian subsidiary of a Chinese company that needs a licence even for
delivery in Malaysia. ``completed_at`` is the order that carries the red flag (for the
realty chain, the last leg into China).
"""

from __future__ import annotations

import datetime as dt

from streams.simulate.cases.base import CaseContext, CaseRecord, ItemSpec, party_ref
from streams.simulate.cases.transshipment import ctx_ts
from streams.simulate.clock import DAY
from streams.simulate.documents import LineSpec
from streams.simulate.world import Actor

__all__ = ["business_line_mismatch", "end_use_product_mismatch", "third_country_payer", "cash_or_crypto",
           "declined_installation", "hq_d5_no_licence", "residential_address", "new_company_no_website",
           "forwarder_final_consignee"]

SERVERS = ("HGX-H100-8GPU", "HGX-H200-8GPU", "DGX-H100")
MODULES = ("H100-SXM5", "H200", "A100", "H100-PCIE")


def _order_and_ship(ctx: CaseContext, ts: int, buyer: Actor, families: tuple[str, ...], units: tuple[int, int], *,
                    seller: Actor | None = None, ship_to: Actor | None = None, licence: str = "NLR",
                    consignee_type: str = "direct_consumer", us_seller: bool = False, **order_fields) -> dict:
    """One order and its legs. ``us_seller`` makes the export a US filing, which records the
    licence (NLR) the case turns on."""
    product, name = ctx.datacenter_choice(ctx.date(ts), families)
    quantity = ctx.rng.randint(*units)
    lines: list[LineSpec] = [(product, name, quantity, ctx.price(product))]
    if seller is None and us_seller:
        seller = ctx.pick_party("oem_server" if product.category == "dc_server" else "chip_vendor", "US")
    seller = seller or (ctx.oem() if product.category == "dc_server" else ctx.vendor())
    order = ctx.order(ts, seller=seller, buyer=buyer, ship_to=ship_to or buyer, lines=lines, **order_fields)
    ctx.fulfil(order, seller=seller, consignee=ship_to or buyer, lines=lines, license=licence,
               consignee_type=consignee_type)
    return order


def business_line_mismatch(ctx: CaseContext) -> CaseRecord:
    kind = ("realty", "food", "logistics")[ctx.index % 3]
    country = "US" if kind == "realty" else ctx.rng.choice(("MY", "SG", "TH"))
    business_type = "logistics" if kind == "logistics" else "other"
    buyer = ctx.company(country, kind, business_type, website=ctx.rng.random() < 0.5)
    span = ctx.span_days(90)
    ts = ctx.window(span)
    flags = ["BUSINESS_LINE_MISMATCH"]
    parties = [party_ref(buyer, "buyer")]
    if kind == "realty":
        # The US "realty" case: ~400 A100 via Malaysia and Thailand to China, paid from China.
        payer = ctx.company("CN", "enterprise", "enterprise", registered=False)
        my_hop = ctx.company("MY", "reseller", "reseller")
        th_hop = ctx.company("TH", "logistics", "logistics")
        cn_end = ctx.company("CN", "enterprise", "enterprise", registered=False)
        received: list[ItemSpec] = []
        for n in range(ctx.rng.randint(3, 5)):
            product, name = ctx.product("A100")
            lines: list[LineSpec] = [(product, name, ctx.rng.randint(60, 140), ctx.price(product))]
            order = ctx.order(ts + n * int(ctx.rng.uniform(5, 15) * DAY), seller=ctx.distributor("US"), buyer=buyer,
                              ship_to=my_hop, lines=lines, declared_end_use="ai_training", payer=payer,
                              payment_method="wire")
            received.append(ItemSpec(product, name, lines[0][2], lines[0][3]))
            last_order = order
        first_leg = ctx.leg(ctx.later(ctx_ts(last_order), 3, 10), shipper=buyer, consignee=my_hop,
                            items=received, source="aes", license="NLR", consignee_type="reseller")
        hop = ctx.leg(ctx.later(ctx_ts(first_leg), 4, 14), shipper=my_hop, consignee=th_hop, items=received,
                      source="customs-my", license=None, consignee_type="reseller")
        completed = ctx.leg(ctx.later(ctx_ts(hop), 4, 14), shipper=th_hop, consignee=cn_end, items=received,
                            source="customs-th", license=None, consignee_type="other_unknown")
        flags += ["THIRD_COUNTRY_PAYER", "MULTI_HOP_CHAIN"]
        parties += [party_ref(payer, "payer"), party_ref(my_hop, "next_hop"), party_ref(th_hop, "next_hop"),
                    party_ref(cn_end, "final_consignee")]
        units = sum(i.quantity for i in received)
    else:
        completed = _order_and_ship(ctx, ts, buyer, MODULES + SERVERS, (8, 64), declared_end_use="ai_training")
        units = completed["lines"][0]["quantity"]
    return ctx.record(
        description=f"A {kind} company ({buyer.name}, {country}) bought {units} data-centre accelerator units.",
        subject=buyer,
        parties=parties,
        completed_by=completed,
        red_flags=flags,
        evidence_actors=(buyer,),
        details={"line_of_business": kind},
    )


def end_use_product_mismatch(ctx: CaseContext) -> CaseRecord:
    business_type, industry, end_use = (("gaming_retail", "gaming_retail", "gaming"),
                                        ("enterprise", "enterprise", "automotive"),
                                        ("crypto_miner", "crypto_miner", "crypto_mining"))[ctx.index % 3]
    country = ctx.rng.choice(("US", "SG", "MY", "AE", "TH"))
    buyer = ctx.company(country, industry, business_type, capacity=ctx.rng.choice((256, 512, 1024)))
    ts = ctx.window(30)
    licence = ctx.ids.licence_number() if ctx.refs.countries.requires_licence(country) else "NLR"
    order = _order_and_ship(ctx, ts, buyer, ("H100-SXM5", "H200", "HGX-H100-8GPU", "HGX-H200-8GPU"), (4, 32),
                            declared_end_use=end_use, licence=licence)
    return ctx.record(
        description=f"{buyer.name} ({business_type}) declared '{end_use}' as the end use of "
                    f"{order['lines'][0]['product']} units.",
        subject=buyer,
        parties=[party_ref(buyer, "buyer")],
        completed_by=order,
        red_flags=["END_USE_PRODUCT_MISMATCH"],
        details={"declared_end_use": end_use, "product": order["lines"][0]["product"]},
    )


def third_country_payer(ctx: CaseContext) -> CaseRecord:
    country = ctx.rng.choice(("MY", "SG", "TH", "ID"))
    buyer = ctx.company(country, "cloud_provider", "cloud_provider", capacity=ctx.rng.choice((1024, 2048, 4096)))
    payer_country = ctx.rng.choice(("CN", "HK", "HK"))
    payer = ctx.company(payer_country, ctx.rng.choice(("reseller", "holding")), "enterprise",
                        registered=ctx.rng.random() < 0.3)
    ts = ctx.window(30)
    order = _order_and_ship(ctx, ts, buyer, SERVERS, (2, 12), declared_end_use="cloud_services", payer=payer,
                            payment_method="wire", installation_requested=True)
    return ctx.record(
        description=f"Servers for {buyer.name} ({country}) paid by {payer.name} ({payer_country}), a party not otherwise in the deal.",
        subject=buyer,
        parties=[party_ref(buyer, "buyer"), party_ref(payer, "payer")],
        completed_by=order,
        red_flags=["THIRD_COUNTRY_PAYER"],
        details={"payer_country": payer_country},
    )


def cash_or_crypto(ctx: CaseContext) -> CaseRecord:
    method = ("cash", "crypto")[ctx.index % 2]
    country = ctx.rng.choice(("US", "SG", "AE", "MY"))
    buyer = ctx.company(country, "ai_lab", "ai_lab", capacity=ctx.rng.choice((512, 1024)),
                        website=ctx.rng.random() < 0.5)
    ts = ctx.window(30)
    licence = ctx.ids.licence_number() if ctx.refs.countries.requires_licence(country) else "NLR"
    order = _order_and_ship(ctx, ts, buyer, MODULES + SERVERS, (2, 16), declared_end_use="ai_training",
                            payment_method=method, licence=licence)
    return ctx.record(
        description=f"${order['order_value_usd']:,.0f} of accelerators paid in {method} by {buyer.name} ({country}).",
        subject=buyer,
        parties=[party_ref(buyer, "buyer")],
        completed_by=order,
        red_flags=["CASH_OR_CRYPTO"],
        details={"payment_method": method, "order_value_usd": order["order_value_usd"]},
    )


def declined_installation(ctx: CaseContext) -> CaseRecord:
    country = ctx.rng.choice(("SG", "MY", "TH", "VN", "ID"))
    buyer = ctx.company(country, "cloud_provider", "cloud_provider", capacity=ctx.rng.choice((1024, 2048)),
                        incorporated_on=ctx.config.start - dt.timedelta(days=ctx.rng.randint(200, 700)))
    ts = ctx.window(30)
    licence = ctx.ids.licence_number() if ctx.refs.countries.requires_licence(country) else "NLR"
    order = _order_and_ship(ctx, ts, buyer, SERVERS, (8, 48), declared_end_use="cloud_services",
                            installation_requested=False, expedited=True, licence=licence)
    return ctx.record(
        description=f"{buyer.name} ({country}) declined installation and asked for rush delivery of "
                    f"{order['lines'][0]['quantity']} 8-GPU servers.",
        subject=buyer,
        parties=[party_ref(buyer, "buyer")],
        completed_by=order,
        red_flags=["DECLINED_INSTALLATION", "EXPEDITED_HIGH_VALUE"],
        details={"units": order["lines"][0]["quantity"]},
    )


def hq_d5_no_licence(ctx: CaseContext) -> CaseRecord:
    shapes = (("MY", "CN", False), ("SG", "HK", False), ("TH", "MO", False), ("MY", "CN", True))
    country, hq_country, via_holding = shapes[ctx.index % len(shapes)]
    group = ctx.company(hq_country, "holding", "enterprise")
    parent = group
    parties = [party_ref(group, "ultimate_parent")]
    if via_holding:
        parent = ctx.company("SG", "holding", "enterprise", parent=group, ownership_pct=100.0)
        parties.append(party_ref(parent, "intermediate_holding"))
    sub = ctx.company(country, "cloud_provider", "cloud_provider", capacity=ctx.rng.choice((1024, 2048)),
                      parent=parent, ownership_pct=float(ctx.rng.choice((100, 100, 70, 51))))
    ts = ctx.window(30)
    order = _order_and_ship(ctx, ts, sub, ("H100-SXM5", "H200", "HGX-H100-8GPU", "HGX-H200-8GPU"), (4, 24),
                            declared_end_use="cloud_services", licence="NLR", installation_requested=True,
                            us_seller=True)
    return ctx.record(
        description=f"{sub.name} ({country}), ultimately owned by a group headquartered in {hq_country}, ordered "
                    f"{order['lines'][0]['product']} delivered in {country} with no licence (NLR).",
        subject=sub,
        parties=[party_ref(sub, "subsidiary"), *parties],
        completed_by=order,
        red_flags=["HQ_D5_PARENT_NO_LICENCE"],
        evidence_actors=(sub,),
        details={"ultimate_parent_country": hq_country, "via_holding": via_holding, "licence": "NLR"},
    )


def residential_address(ctx: CaseContext) -> CaseRecord:
    country = ctx.rng.choice(("US", "SG", "MY", "TH"))
    registered = ctx.index % 2 == 0
    buyer = ctx.company(country, ctx.rng.choice(("reseller", "ai_lab")), "reseller", registered=registered,
                        residential=True, website=False)
    ts = ctx.window(30)
    seller = ctx.distributor(country)
    order = _order_and_ship(ctx, ts, buyer, ("H100-PCIE", "L40S", "A100", "HGX-H100-8GPU"), (8, 48), seller=seller,
                            declared_end_use=ctx.rng.choice(("ai_inference", "resale", "other")),
                            payment_method=ctx.rng.choice(("wire", "card")))
    return ctx.record(
        description=f"{buyer.name} ordered {order['lines'][0]['quantity']} x {order['lines'][0]['product']} to a "
                    f"residential address in {country}.",
        subject=buyer,
        parties=[party_ref(buyer, "buyer")],
        completed_by=order,
        red_flags=["RESIDENTIAL_ADDRESS"],
        details={"address": buyer.address},
    )


def new_company_no_website(ctx: CaseContext) -> CaseRecord:
    country = ctx.rng.choice(("SG", "MY", "AE", "US", "TH"))
    ts = ctx.window(45)
    order_day = ctx.date(ts)
    founded = order_day - dt.timedelta(days=ctx.rng.randint(20, 90))
    buyer = ctx.company(country, ctx.rng.choice(("reseller", "cloud_provider")), "reseller", website=False,
                        incorporated_on=founded)
    licence = ctx.ids.licence_number() if ctx.refs.countries.requires_licence(country) else "NLR"
    order = _order_and_ship(ctx, ts, buyer, MODULES + SERVERS, (4, 32), declared_end_use="resale", licence=licence,
                            consignee_type="reseller")
    return ctx.record(
        description=f"{buyer.name} ({country}), incorporated {(order_day - founded).days} days before ordering and "
                    f"with no website, ordered data-centre accelerators.",
        subject=buyer,
        parties=[party_ref(buyer, "buyer")],
        completed_by=order,
        red_flags=["NEW_COMPANY", "NO_ONLINE_PRESENCE"],
        evidence_actors=(buyer,),
        details={"incorporated_on": founded.isoformat(), "days_before_order": (order_day - founded).days},
    )


def forwarder_final_consignee(ctx: CaseContext) -> CaseRecord:
    country = ctx.rng.choice(("SG", "MY", "TH", "AE"))
    forwarder = ctx.company(country, "freight_forwarder", "freight_forwarder")
    buyer = ctx.company(country, "reseller", "reseller", website=ctx.rng.random() < 0.5)
    ts = ctx.window(30)
    licence = ctx.ids.licence_number() if ctx.refs.countries.requires_licence(country) else "NLR"
    order = _order_and_ship(ctx, ts, buyer, MODULES + SERVERS, (4, 24), ship_to=forwarder,
                            end_user=forwarder if ctx.rng.random() < 0.5 else None, declared_end_use="resale",
                            licence=licence, consignee_type="freight_forwarder")
    return ctx.record(
        description=f"Accelerators bought by {buyer.name} consigned to freight forwarder {forwarder.name} "
                    f"({country}) as final consignee.",
        subject=buyer,
        parties=[party_ref(buyer, "buyer"), party_ref(forwarder, "final_consignee")],
        completed_by=order,
        red_flags=["FORWARDER_FINAL_CONSIGNEE"],
        details={"forwarder_country": country},
    )


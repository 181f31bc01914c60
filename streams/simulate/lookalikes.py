"""Legitimate parties that look like diversion: the false positives detectors must survive.

Each look-alike is a real pattern from the domain facts ("Not diversion"), or a common
source of screening noise, built into the background so its traffic is ordinary trade.
The truth file lists them with their parties; no case ever uses these parties.
"""

from __future__ import annotations

import random
from typing import Any

from streams.simulate.names import CompanyName
from streams.simulate.rng import rng_for
from streams.simulate.world import Actor, World, new_buyer

__all__ = ["build_lookalikes", "truth_party"]


def truth_party(actor: Actor, role: str) -> dict[str, Any]:
    """The same party shape as the cases' (``cases.base.party_ref``)."""
    from streams.simulate.cases.base import party_ref

    return party_ref(actor, role)


def _archetype(world: World, name: str):
    for archetype in world.refs.profile.archetypes:
        if archetype.name == name:
            return archetype
    raise KeyError(name)


def _branded(world: World, rng: random.Random, brand: str, middle: str, country: str) -> CompanyName:
    spec = world.refs.names.countries[country]
    suffix = spec.suffixes[0] if "{suffix}" in spec.format else ""
    alias = f"{brand} {middle}"
    if spec.format.startswith("PT "):
        legal = f"PT {alias}"
    elif "{city}" in spec.format:
        legal = f"{rng.choice(spec.cities)} {alias} {suffix}".strip()
    else:
        legal = f"{alias} {suffix}".strip()
    world.names.reserve(legal)
    return CompanyName(legal=legal, alias=alias, suffix=suffix)


def build_lookalikes(world: World) -> None:
    builders = (
        _billing_hub,
        _foreign_tenant_host,
        _high_volume_distributors,
        _legit_reexporter,
        _cn_group_noncontrolled,
        _cn_group_licensed,
        _group_treasury_payer,
        _similar_names,
        _own_staff_installation,
        _licensed_controlled_destination,
    )
    for builder in builders:
        rng = rng_for(world.config.seed, "lookalike", builder.__name__)
        entry = builder(world, rng)
        if entry is not None and entry["parties"]:
            world.lookalikes.append(entry)


def _billing_hub(world: World, rng: random.Random) -> dict[str, Any]:
    """Customers billed through Singapore while the goods ship to data centres elsewhere."""
    brand = rng.choice(world.refs.names.pools["brand_words"])
    parent = world.new_company(rng, "US", "cloud_provider", "cloud_provider", "group_parent",
                               name=_branded(world, rng, brand, "Cloud", "US"), declared_capacity=60000)
    biller = world.new_company(rng, "SG", "cloud_provider", "cloud_provider", "buyer",
                               name=_branded(world, rng, brand, "Cloud Asia Pacific", "SG"),
                               parent=parent, ownership_pct=100.0)
    sites = []
    for country, label in (("JP", "Cloud Japan"), ("AU", "Cloud Australia"), ("IN", "Cloud India"), ("KR", "Cloud Korea")):
        site = world.new_company(rng, country, "cloud_provider", "cloud_provider", "lookalike_site",
                                 name=_branded(world, rng, brand, label, country), parent=parent,
                                 ownership_pct=100.0, declared_capacity=rng.choice((4096, 8192, 16384)))
        sites.append(site)
    biller.archetype = _archetype(world, "hyperscale_cloud")
    biller.activity = 30.0
    biller.behaviour = "billing_hub"
    biller.ship_to_options = tuple(sites)
    world.buyers.append(biller)
    return {
        "kind": "billing_hub",
        "description": "Singapore billing entity of a US cloud group; bill-to SG, goods ship to the group's data centres in JP, AU, IN and KR (NLR).",
        "parties": [truth_party(biller, "bill_to"), truth_party(parent, "group_parent")]
        + [truth_party(s, "ship_to") for s in sites],
    }


def _foreign_tenant_host(world: World, rng: random.Random) -> dict[str, Any]:
    """An Indonesian operator keeps its racks in Jakarta and rents compute to a Chinese tenant."""
    brand = rng.choice(world.refs.names.pools["brand_words"])
    operator = world.new_company(rng, "ID", "cloud_provider", "cloud_provider", "buyer",
                                 name=_branded(world, rng, brand, "Cloud Nusantara", "ID"), declared_capacity=4096)
    operator.address = f"Jl. Jend. Sudirman Kav. {rng.randint(10, 90)}, Jakarta {rng.randint(10000, 19999)}"
    operator.archetype = _archetype(world, "regional_cloud")
    operator.activity = 6.0
    operator.behaviour = "foreign_tenant_host"
    world.buyers.append(operator)
    return {
        "kind": "in_country_cloud_foreign_tenant",
        "description": "Indonesian cloud operator keeping GPU racks in Jakarta and renting compute to a Chinese tenant: a remote-access risk, not an export diversion; goods never leave ID.",
        "parties": [truth_party(operator, "operator")],
    }


def _high_volume_distributors(world: World, rng: random.Random) -> dict[str, Any]:
    """Large legitimate distributors restock in volumes far above any end user's."""
    chosen = []
    for country in ("US", "SG"):
        for distributor in world.role("distributor"):
            if distributor.country == country and distributor.behaviour is None:
                distributor.behaviour = "high_volume_distributor"
                chosen.append(distributor)
                break
    return {
        "kind": "large_distributor",
        "description": "Large legitimate distributors with high, steady restocking volumes of data-centre products (resale).",
        "parties": [truth_party(d, "distributor") for d in chosen],
    }


def _legit_reexporter(world: World, rng: random.Random) -> dict[str, Any] | None:
    """A Singapore distributor re-exports serialised units to AU/JP/IN end users within days."""
    distributor = next((d for d in world.role("distributor") if d.country == "SG" and d.behaviour is None), None)
    if distributor is None:
        return None
    distributor.behaviour = "legit_reexporter"
    customers = []
    for country, archetype in (("AU", "regional_cloud"), ("JP", "ai_lab"), ("IN", "regional_cloud")):
        customer = new_buyer(world, rng, _archetype(world, archetype), country=country)
        customer.parent = None
        customer.preferred_seller = distributor
        customer.behaviour = "reexport_customer"
        customer.activity = max(customer.activity, 4.0)
        world.buyers.append(customer)
        customers.append(customer)
    return {
        "kind": "legit_reexport",
        "description": "Singapore distributor re-exporting serialised accelerators to end users in AU, JP and IN (non-licence destinations, NLR) within days of import.",
        "parties": [truth_party(distributor, "reexporter")] + [truth_party(c, "end_user") for c in customers],
    }


def _cn_group_noncontrolled(world: World, rng: random.Random) -> dict[str, Any]:
    """A Malaysian subsidiary of a Chinese group buying only uncontrolled items."""
    parent = world.new_company(rng, "CN", "holding", "enterprise", "group_parent")
    sub = new_buyer(world, rng, _archetype(world, "cn_enterprise"), country="MY")
    sub.parent, sub.ownership_pct = parent, 100.0
    sub.behaviour = "noncontrolled_only"
    sub.activity = max(sub.activity, 3.0)
    world.buyers.append(sub)
    return {
        "kind": "cn_group_noncontrolled",
        "description": "Malaysian subsidiary of a Chinese group ordering only uncontrolled items (CPU servers, networking, cables, consumer GPUs).",
        "parties": [truth_party(sub, "subsidiary"), truth_party(parent, "group_parent")],
    }


def _cn_group_licensed(world: World, rng: random.Random) -> dict[str, Any]:
    """A Singapore subsidiary of a Chinese group buying controlled items under a licence."""
    parent = world.new_company(rng, "CN", "holding", "enterprise", "group_parent")
    sub = new_buyer(world, rng, _archetype(world, "regional_cloud"), country="SG")
    sub.parent, sub.ownership_pct = parent, 100.0
    sub.behaviour = "licensed"
    sub.activity = max(sub.activity, 3.0)
    world.buyers.append(sub)
    return {
        "kind": "cn_group_licensed",
        "description": "Singapore subsidiary of a Chinese group ordering data-centre accelerators with a BIS licence on every export.",
        "parties": [truth_party(sub, "subsidiary"), truth_party(parent, "group_parent")],
    }


def _group_treasury_payer(world: World, rng: random.Random) -> dict[str, Any]:
    """Subsidiaries whose orders the parent's treasury pays (payer abroad, but in the group)."""
    subs = [b for b in world.buyers if b.parent is not None and b.behaviour is None][:3]
    for sub in subs:
        sub.behaviour = "treasury_paid"
    parties = []
    for sub in subs:
        parties.append(truth_party(sub, "subsidiary"))
        assert sub.parent is not None
        parties.append(truth_party(sub.parent, "payer"))
    return {
        "kind": "group_treasury_payer",
        "description": "Subsidiaries whose orders are paid by their foreign parent's treasury: a payer in another country, but part of the deal's group.",
        "parties": parties,
    }


def _similar_names(world: World, rng: random.Random) -> dict[str, Any]:
    """Unlisted companies whose names share words with listed ones (screening noise)."""
    specs = (
        ("SG", "Dawning", "Hospitality", "enterprise"),
        ("CN", "Jiangnan", "Textile Trading", "cn_enterprise"),
        ("GB", "Inspire", "Group Holdings", "enterprise"),
        ("MY", "Sugon", "Food Trading", "enterprise"),
    )
    parties = []
    for country, brand, middle, archetype in specs:
        name = _branded(world, rng, brand, middle, country)
        actor = world.new_company(rng, country, "enterprise", "enterprise", "buyer", name=name,
                                  declared_capacity=rng.choice((16, 32, 64)))
        actor.archetype = _archetype(world, archetype)
        actor.activity = 1.0
        actor.behaviour = "noncontrolled_only"
        world.buyers.append(actor)
        parties.append(truth_party(actor, "similar_name"))
    return {
        "kind": "similar_name_unlisted",
        "description": "Unlisted companies sharing a word with listed names (Dawning, Jiangnan, Inspire, Sugon) that buy only uncontrolled items.",
        "parties": parties,
    }


def _own_staff_installation(world: World, rng: random.Random) -> dict[str, Any] | None:
    """A hyperscaler that always declines vendor installation: it racks servers itself."""
    actor = next((b for b in world.buyers if b.archetype is not None and b.archetype.name == "hyperscale_cloud"
                  and b.behaviour is None), None)
    if actor is None:
        return None
    actor.behaviour = "declines_installation"
    return {
        "kind": "declines_installation_own_staff",
        "description": "Hyperscale cloud that declines vendor installation on every server order because it installs with its own staff.",
        "parties": [truth_party(actor, "buyer")],
    }


def _licensed_controlled_destination(world: World, rng: random.Random) -> dict[str, Any]:
    """End users in licence destinations (AE, SA, VN) receiving controlled items under licence."""
    chosen = [b for b in world.buyers if b.country in ("AE", "SA", "VN") and b.declared_capacity
              and b.behaviour is None][:3]
    if not chosen:
        actor = new_buyer(world, rng, _archetype(world, "regional_cloud"), country="AE")
        world.buyers.append(actor)
        chosen = [actor]
    for actor in chosen:
        actor.behaviour = "licensed"
        actor.activity = max(actor.activity, 2.0)
    return {
        "kind": "licensed_controlled_destination",
        "description": "Cloud and enterprise buyers in licence destinations (AE, SA, VN) receiving data-centre accelerators with a BIS licence number on every export.",
        "parties": [truth_party(a, "licensee") for a in chosen],
    }

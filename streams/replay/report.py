"""A self-contained HTML investigation report: every alert with its evidence.

One file, no scripts or external assets, so it can be attached to a case file or
opened offline. Each alert shows why it fired (summary, red flags with their titles
and guidance, the figures in ``details``), the timeline of its evidence events, and the
chain of parties and legs behind it (who shipped to whom, through which countries).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec

from detectors.reference import RedFlagCatalogue
from schemas import Alert, Entity, Event, Order, ScreeningEntry, Shipment

__all__ = ["render_report", "write_report"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:1200px}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin:0}
.alert{border:1px solid #d0d7de;border-radius:8px;padding:1rem;margin:1rem 0}
.sev{display:inline-block;padding:.1rem .5rem;border-radius:4px;color:#fff;font-weight:600;margin-right:.5rem}
.critical{background:#8b0000}.high{background:#c2410c}.medium{background:#a16207}.low{background:#4b5563}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
td,th{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.flag{font-family:monospace}.chain{font-size:.95rem;margin:.5rem 0}
.muted{color:#57606a;font-size:.85rem} code{font-size:.85rem}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _when(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


def _party(party) -> str:
    if party is None:
        return ""
    ident = f" <code>{_e(party.entity_id)}</code>" if getattr(party, "entity_id", None) else ""
    return f"{_e(party.name)} ({_e(party.country)}){ident}"


def _goods(lines) -> str:
    parts = []
    for line in lines:
        extra = f" @ ${line.unit_value_usd:,.0f}" if getattr(line, "unit_value_usd", None) is not None else ""
        tags = ", ".join(t for t in (line.eccn, f"HTS {line.hts}" if line.hts else None) if t)
        serials = getattr(line, "serials", None)
        serial_note = f", {len(serials)} serials" if serials else ""
        parts.append(f"{line.quantity} x {_e(line.product)}{extra} <span class=muted>{_e(tags)}{serial_note}</span>")
    return "<br>".join(parts)


def _event_row(event: Event) -> str:
    if isinstance(event, Order):
        parties = f"{_party(event.seller)} &rarr; bill-to {_party(event.buyer)}<br>ship-to {_party(event.ship_to)}"
        if event.end_user:
            parties += f"<br>end user {_party(event.end_user)}"
        if event.payer:
            parties += f"<br>payer {_party(event.payer)}"
        facts = (
            f"end use {_e(event.declared_end_use)}; payment {_e(event.payment_method or '?')}; "
            f"value ${event.order_value_usd:,.0f}"
        )
        return f"<tr><td>{_when(event.event_time)}</td><td>order {_e(event.order_id)}<br><code>{_e(event.event_id)}</code></td><td>{parties}</td><td>{_goods(event.lines)}</td><td>{facts}</td></tr>"
    if isinstance(event, Shipment):
        route = " &rarr; ".join([_e(event.origin_country), *map(_e, event.transit_countries or ()), _e(event.destination_country)])
        parties = f"{_party(event.shipper)} &rarr; {_party(event.consignee)} <span class=muted>({_e(event.consignee_type)})</span>"
        facts = f"route {route}; {_e(event.mode)}; licence {_e(event.license or 'none')}; declared ${event.declared_value_usd:,.0f}"
        return f"<tr><td>{_when(event.event_time)}</td><td>shipment {_e(event.shipment_id)}<br><code>{_e(event.event_id)}</code></td><td>{parties}</td><td>{_goods(event.items)}</td><td>{facts}</td></tr>"
    if isinstance(event, Entity):
        return f"<tr><td>{_when(event.event_time)}</td><td>registry<br><code>{_e(event.event_id)}</code></td><td>{_e(event.name)} ({_e(event.country)}) <code>{_e(event.entity_id)}</code></td><td>{_e(event.business_type)}</td><td>capacity {_e(event.declared_capacity_accelerators)}; parent {_e(event.ultimate_parent_id)} ({_e(event.ultimate_parent_country)})</td></tr>"
    if isinstance(event, ScreeningEntry):
        return f"<tr><td>{_when(event.event_time)}</td><td>screening list<br><code>{_e(event.event_id)}</code></td><td>{_e(event.name)}</td><td>{_e(event.list)}</td><td>{_e(event.federal_register_notice)}</td></tr>"
    return ""


def _chain(events: Sequence[Event]) -> str:
    """The legs in time order as one readable path: A (US) -> B (SG) -> C (MY) -> D (CN)."""
    legs = sorted((e for e in events if isinstance(e, Shipment)), key=lambda e: e.event_time)
    if not legs:
        return ""
    hops: list[str] = [_party(legs[0].shipper)]
    for leg in legs:
        hops.append(f"<b>{_party(leg.consignee)}</b> <span class=muted>{_when(leg.event_time)[:10]}</span>")
    return "<div class=chain>Chain of legs: " + " &rarr; ".join(hops) + "</div>"


def _alert_html(alert: Alert, events: dict[str, Event], flags: RedFlagCatalogue) -> str:
    evidence = sorted((events[e] for e in alert.evidence if e in events), key=lambda e: (e.event_time, e.event_id))
    missing = [e for e in alert.evidence if e not in events]
    flag_rows = "".join(
        f"<tr><td class=flag>{_e(code)}</td><td>{_e(flags.get(code).title) if code in flags else ''}</td>"
        f"<td class=muted>{_e(flags.get(code).guidance) if code in flags else ''}</td></tr>"
        for code in alert.red_flags
    )
    related = ", ".join(_party(p) for p in alert.related or ())
    details = html.escape(json.dumps(msgspec.to_builtins(alert.details), indent=2, sort_keys=True, default=str))
    rows = "".join(_event_row(e) for e in evidence)
    note = f"<p class=muted>{len(missing)} evidence events are outside this input.</p>" if missing else ""
    return f"""
<section class=alert id="{_e(alert.alert_id)}">
  <h2><span class="sev {_e(alert.severity)}">{_e(alert.severity)}</span>{_e(alert.summary)}</h2>
  <p class=muted>{_e(alert.typology)} &middot; {_e(alert.detector)} &middot; score {alert.score:.2f} &middot;
     completed {_when(alert.event_time)} &middot; <code>{_e(alert.alert_id)}</code></p>
  <p>Subject: {_party(alert.subject)}{'<br>Related: ' + related if related else ''}</p>
  {_chain(evidence)}
  <table><tr><th>red flag</th><th>meaning</th><th>guidance</th></tr>{flag_rows}</table>
  <details><summary>Figures behind the decision</summary><pre>{details}</pre></details>
  <table><tr><th>when</th><th>what</th><th>parties</th><th>goods</th><th>facts</th></tr>{rows}</table>{note}
</section>"""


def render_report(alerts: Sequence[Alert], events: Iterable[Event], *, title: str = "chokepoint investigation report") -> str:
    wanted = {e for alert in alerts for e in alert.evidence}
    by_id = {e.event_id: e for e in events if e.event_id in wanted}
    flags = RedFlagCatalogue.load()
    ordered = sorted(alerts, key=lambda a: (-["low", "medium", "high", "critical"].index(a.severity), a.event_time, a.alert_id))
    index = "".join(
        f"<li><a href='#{_e(a.alert_id)}'>[{_e(a.severity)}] {_e(a.subject.name)}: {_e(a.typology)}</a></li>" for a in ordered
    )
    body = "".join(_alert_html(a, by_id, flags) for a in ordered)
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>{_e(title)}</title><style>{_STYLE}</style></head>
<body><h1>{_e(title)}</h1><p class=muted>{len(alerts)} alerts; generated {generated}; red-flag catalogue {flags.version}.</p>
<ol>{index}</ol>{body}</body></html>
"""


def write_report(path: Path, alerts: Sequence[Alert], events: Iterable[Event], **kwargs: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(alerts, events, **kwargs), encoding="utf-8")

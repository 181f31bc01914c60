"""What the catalogue says about a shipment or order line, worked out once per product.

Ingest asks the same questions of every line of every record (is it licensable, which
family name does it count under, is it H200-class, which unrelated HTS heading does it
fall under), and most of the answers depend only on the line's product fields and the
catalogue. A few dozen products cover a year of trade, so ``line_facts`` keeps those
answers per (product, SKU, HTS) and catalogue; only what depends on the quantity or the
day is worked out per line.

Each remembered entry names the catalogue and the family it was worked out for, and is
used only for a line with that same catalogue and family object, so a new catalogue (or a
line classified elsewhere) never reads a stale answer. The memo is bounded: it is emptied
when full, so hostile input (endless new product names) cannot grow it without limit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from detectors.transshipment.routes import h200_class

__all__ = ["LineFacts", "line_facts", "relevant_accelerators", "licence_scope", "MEMO_MAX"]

#: Entries kept before the memo is emptied (real trade names a few dozen products).
MEMO_MAX = 4096


@dataclass(frozen=True, slots=True)
class LineFacts:
    """Pure functions of a line's product fields (product, SKU, HTS) and the catalogue."""

    catalogue: Any  # the catalogue these facts come from (an entry is valid for it only)
    family: Any  # the line's product family (``LineRecord.family``), or None
    name: str  # what the line counts under in a leg's families: the family, else the product as written
    h200_class: bool  # at least the H200's performance (``routes.h200_class``)
    heading: Any  # the unrelated heading (8504, 8536, 8544) its HTS code falls under, or None
    value_heading: Any  # the heading a line of no known family is valued against: by HTS, else by its description
    unit_max: float | None  # most one unit is plausibly worth (family, else ``value_heading``), or None if unknown
    negative_worth: bool  # ``unit_max`` below zero: misdescription's value bound assumes no line has one


_MEMO: dict[tuple[str, str | None, str | None], LineFacts] = {}


def line_facts(line: Any, catalogue: Any) -> LineFacts:
    """The facts of ``line`` (a ``LineRecord``) under ``catalogue``, memoised."""
    key = (line.product, line.sku, line.hts)
    found = _MEMO.get(key)
    if found is not None and found.catalogue is catalogue and found.family is line.family:
        return found
    if len(_MEMO) >= MEMO_MAX:
        _MEMO.clear()
    found = _MEMO[key] = _work_out(line, catalogue)
    return found


def _tokens(text: str) -> set[str]:
    words = "".join(c if c.isalnum() else " " for c in text.upper()).split()
    return {w[:-1] if w.endswith("S") and len(w) > 3 else w for w in words}


def _hinted_heading(product: str, catalogue: Any) -> Any:
    """An unrelated heading whose product noun ("ADAPTER", "CABLE") the description uses."""
    tokens = _tokens(product)
    for heading in catalogue.unrelated_headings:
        noun = heading.product_hint.upper().split()[-1]
        if noun in tokens:
            return heading
    return None


def _work_out(line: Any, catalogue: Any) -> LineFacts:
    family = line.family
    heading = catalogue.unrelated_heading(line.hts)
    value_heading = heading if heading is not None or family is not None else _hinted_heading(line.product, catalogue)
    if family is not None:
        unit_max: float | None = family.unit_value_usd.max
    elif value_heading is not None:
        unit_max = value_heading.typical_unit_value_usd.max
    else:
        unit_max = None
    return LineFacts(
        catalogue=catalogue,
        family=family,
        name=family.family if family is not None else line.product.strip().upper(),
        h200_class=h200_class(family, _h200_reference_tpp(catalogue)),
        heading=heading,
        value_heading=value_heading,
        unit_max=unit_max,
        negative_worth=unit_max is not None and unit_max < 0,
    )


def _h200_reference_tpp(catalogue: Any) -> float | None:
    try:
        return catalogue.family("H200").tpp
    except KeyError:
        return None


def licence_scope(line: Any, day: dt.date) -> str | None:
    """The licence scope a line needs on ``day``, or ``None`` when it needs none (is not
    relevant): accelerators with a controlled ECCN, or of a family with a licence scope
    (H20). The family's scope first, else the ECCN's."""
    if line.accelerators <= 0:
        return None
    if line.family is not None:
        scope = line.family.licence_scope_on(day)
        if scope != "none":
            return scope
    return "advanced_computing" if line.controlled else None  # controlled by its declared ECCN


def relevant_accelerators(lines: Any, moment: dt.datetime) -> int:
    """Accelerators on ``lines`` that need a licence somewhere (``licence_scope`` on the day
    of ``moment``): the first question asked of every record, so the day is worked out only
    for a line whose answer depends on it."""
    total = 0
    day: dt.date | None = None
    for line in lines:
        accelerators = line.accelerators
        if accelerators <= 0:
            continue
        if line.controlled:
            total += accelerators
        elif line.family is not None:
            if day is None:
                day = moment.date()
            if line.family.licence_scope_on(day) != "none":
                total += accelerators
    return total

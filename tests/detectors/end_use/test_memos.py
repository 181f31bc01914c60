"""The end-use detector's shortcuts against the plain computations they replace.

The "nothing on this record" test against the rules it stands for, the memos (country
answers, party facts, vocabulary answers) against computing afresh and against a
changed registry or country groups, the order check against sorting. Each test can fail:
it compares with the slow way, or shows what a stale memo would answer.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.end_use import EndUseDetector, default_vocabulary, line_scope, needs_for, order_flags, order_subject
from detectors.end_use.detector import _concerns_either_rule
from detectors.end_use.flags import PartyFactsBook, party_facts, relevant_lines
from detectors.end_use.licence import LicenceRules
from detectors.engine.records import LineRecord, OrderRecord, PartyRef
from detectors.parties import Registry
from detectors.thresholds import Thresholds
from tests.detectors.over_ordering.builders import T0, assert_agrees_with_twin, entity, late_batches, line, order, party, records_of, reference
from tests.detectors.over_ordering.scenarios import WORLD, scenarios

SETTINGS = settings(max_examples=60, deadline=None)


def _lines(record):
    return record.lines if isinstance(record, OrderRecord) else record.items


def _date(record) -> dt.date:
    return record.event.event_time.astimezone(dt.timezone.utc).date()


# -- records with nothing for either rule set -------------------------------------------------


@SETTINGS
@given(scenarios(max_events=30), st.integers(-400, 400))
def test_nothing_to_concern_either_rule_means_no_scoped_and_no_relevant_line(events, shift):
    """Across dates (H20 enters licence scope in April 2025) and every product mix."""
    for record in records_of(reference(*WORLD), events):
        date = _date(record) + dt.timedelta(days=shift)
        lines = _lines(record)
        expected = any(line_scope(l, date) != "none" for l in lines) or bool(relevant_lines(lines))
        assert _concerns_either_rule(lines, date) == expected


def test_a_line_of_licence_scope_concerns_the_rules_even_when_no_flag_would_look_at_it():
    """The catalogue has no such line today (every scoped product is controlled or a
    data-centre accelerator), so one is built: an H20-like family that is neither."""
    h20 = reference().catalogue.lookup_line("H20-96GB", None)
    card = LineRecord(sku="X", product="H20-96GB", family=replace(h20, datacenter=False), eccn="EAR99", hts=None,
                      quantity=1, unit_value_usd=None, accelerators=0, controlled=False, datacenter=False)
    assert not relevant_lines((card,))
    assert _concerns_either_rule([card], h20.licence_scope_from)
    assert not _concerns_either_rule([card], h20.licence_scope_from - dt.timedelta(days=1))


# -- licence memo ------------------------------------------------------------------------------


@SETTINGS
@given(scenarios(max_events=30))
def test_needs_with_the_memo_equal_needs_without(events):
    ref = reference(*WORLD)
    rules = LicenceRules()
    rules.sync(ref)
    for record in records_of(ref, events):
        if isinstance(record, OrderRecord):
            args = (record.lines, _date(record), [p for p in (record.end_user, record.ship_to) if p], (),
                    [p for p in (record.end_user, record.ship_to, record.buyer) if p], ref)
        else:
            args = (record.items, _date(record), (), [(record.consignee, record.event.destination_country)],
                    [p for p in (record.consignee, record.intermediate_consignee) if p], ref)
        assert needs_for(*args, rules) == needs_for(*args)


def _registered(registry: Registry, entity_id: str) -> PartyRef:
    e = registry.get(entity_id)
    return PartyRef(entity_id=e.entity_id, name=e.name, country=e.country, registered=True, entity=e)


def test_headquarters_answer_follows_the_registry_content():
    """The subsidiary names its parent, not the parent's country: the answer is read from
    the parent's registry record, so it must change when that record does."""
    ref = reference(entity("hq-top", "Top Holdings", "SG", "enterprise"),
                    entity("hq-sub", "Sub Cloud Sdn Bhd", "MY", parent="hq-top"))
    sub = _registered(ref.registry, "hq-sub")
    rules = LicenceRules()
    rules.sync(ref)
    assert rules.headquarters(sub, ref) == ("SG", False)
    ref.registry.apply(entity("hq-top", "Top Holdings", "CN", "enterprise", when=T0, event_id="hq-moves"))
    assert rules.headquarters(sub, ref) == ("SG", False)  # memoised until the next sync
    rules.sync(ref)
    assert rules.headquarters(sub, ref) == ("CN", True)


def test_country_answers_follow_the_country_groups():
    class Groups:
        def __init__(self, answer: bool) -> None:
            self.answer = answer

        def requires_licence(self, country: str, scope: str) -> bool:
            return self.answer

        def headquarters_requires_licence(self, country: str) -> bool:
            return self.answer

    registry = Registry()
    rules = LicenceRules()
    rules.sync(SimpleNamespace(countries=Groups(False), registry=registry))
    assert rules.requires_licence("AE", "advanced_computing") is False
    rules.sync(SimpleNamespace(countries=Groups(True), registry=registry))
    assert rules.requires_licence("AE", "advanced_computing") is True
    unregistered = PartyRef(entity_id="x", name="X Trading", country="AE", registered=False)
    assert rules.headquarters(unregistered, SimpleNamespace(registry=registry)) == ("AE", True)


# -- party facts -------------------------------------------------------------------------------


@SETTINGS
@given(scenarios(max_events=30))
def test_order_flags_with_remembered_party_facts_equal_computed_ones(events):
    ref = reference(*WORLD)
    vocab = default_vocabulary()
    t = ref.thresholds["end_use"]
    book = PartyFactsBook(vocab)
    for record in records_of(ref, events):
        if isinstance(record, OrderRecord):
            assert order_flags(record, ref, vocab, t, book) == order_flags(record, ref, vocab, t)
            assert order_subject(record, vocab, book) is order_subject(record, vocab)


def test_party_facts_are_remembered_per_party_object():
    vocab = default_vocabulary()
    book = PartyFactsBook(vocab)
    office = PartyRef(entity_id="p", name="Nimbus Cloud", country="US", registered=False, address="1 Data Park Way")
    flat = PartyRef(entity_id="p", name="Nimbus Cloud", country="US", registered=False, address="12 Maple St Apt 4")
    assert book(office).address is None
    assert book(flat).address == party_facts(flat, vocab).address is not None  # same id and name, other address
    assert book(office) is book(office)


def _hits(document, *entities):
    """(code, party, reason) of every soft flag ``document`` raises, facts remembered."""
    ref = reference(*WORLD, *entities)
    [record] = records_of(ref, [document])
    vocab = default_vocabulary()
    return [(h.code, h.party_id, h.reason)
            for h in order_flags(record, ref, vocab, ref.thresholds["end_use"], PartyFactsBook(vocab))]


def test_the_printed_address_is_judged_before_the_registered_one():
    cloud = entity("ent-pobox", "Pobox Cloud Pte Ltd", "SG", address="12 Maple St Apt 4")
    hits = _hits(order(T0, party(cloud, address="PO Box 77"), [line()]), cloud)
    assert ("RESIDENTIAL_ADDRESS", "ent-pobox", "virtual address (po box)") in hits


def test_a_forwarder_is_spared_the_business_line_flag_only_as_end_user():
    forwarder = WORLD[7]  # Harbor Global Freight, a freight forwarder
    cloud = WORLD[1]
    as_buyer = _hits(order(T0, party(forwarder), [line()], end_user=party(cloud)))
    assert ("BUSINESS_LINE_MISMATCH", forwarder.entity_id, "business type freight_forwarder") in as_buyer
    as_end_user = _hits(order(T0, party(cloud), [line()], end_user=party(forwarder)))
    assert not [h for h in as_end_user if h[0] == "BUSINESS_LINE_MISMATCH"]


# -- vocabulary answers ------------------------------------------------------------------------


def test_remembered_vocabulary_answers_equal_fresh_ones():
    vocab = default_vocabulary()
    fresh = type(vocab).load()
    texts = [None, "", " ", "NLR", "nlr", "D123456", "ACA", "Harbor Global Freight Sdn Bhd", "Eastern Realty LLC",
             "Straw Trading Limited", "12 Maple St Apt 4, Edison", "PO Box 77", "1 Technology Drive"]
    for _ in range(2):  # the second round answers from the memo
        for text in texts:
            assert vocab.licence_status(text) == fresh._licence_status(text)
            assert vocab.address_kind(text) == fresh._address_kind(text)
            for question in ("mismatch_word", "forwarder_word", "trading_word"):
                assert getattr(vocab, question)(text) == getattr(fresh, question)(text)


# -- what a new day forgets ------------------------------------------------------------------


class _LookAtEverything(EndUseDetector):
    """The forgetting the start queue and the licence floor replace: every subject and
    every licensee looked at on every new day."""

    def _advance(self, day, t):
        self._latest_day = day
        since = day - int(t["volume_window_days"]) + 1
        for subject_id, days in list(self._volume.items()):
            if days and days[0][0] >= since:
                continue
            kept = [v for v in days if v[0] >= since]
            if kept:
                self._volume[subject_id] = kept
            else:
                del self._volume[subject_id]
        licence_since = day - int(t["licensee_memory_days"]) + 1
        self._licensees = {pid: d for pid, d in self._licensees.items() if d >= licence_since}


_SHORT = Thresholds.load().with_overrides(
    end_use={"volume_window_days": 9, "licensee_memory_days": 6, "order_licence_grace_days": 5}
)


@settings(max_examples=100, deadline=None)
@given(scenarios(max_events=60), st.randoms(use_true_random=False), st.integers(1, 12))
def test_a_new_day_forgets_what_looking_at_everything_forgets(events, rng: random.Random, batch):
    """Short windows, so volume and licences expire many times in 80 days; batches fed out
    of order, so late records land in lists that are already pruned."""
    ref = reference(*WORLD, thresholds=_SHORT)
    records = records_of(ref, events)
    batches = late_batches(records, batch, rng)
    later = records_of(reference(*WORLD), [order(T0 + dt.timedelta(days=200), party(WORLD[1]), [line()])])
    assert_agrees_with_twin(EndUseDetector(), _LookAtEverything(), batches, ref, later)


def test_a_loaded_empty_volume_list_is_forgotten_on_the_next_day_unless_filled():
    detector = EndUseDetector()
    state = EndUseDetector().to_state() | {"latest_day": 100, "volume": {"empty": [], "filled": []}}
    detector.load_state(state)
    detector._add_volume("filled", 100, 8, create=False)
    detector._advance(101, {"volume_window_days": 30, "licensee_memory_days": 30})
    assert detector.to_state()["volume"] == {"filled": [[100, 8]]}
    detector._advance(140, {"volume_window_days": 30, "licensee_memory_days": 30})
    assert detector.to_state()["volume"] == {}


# -- record order ------------------------------------------------------------------------------


@SETTINGS
@given(scenarios(max_events=30), st.randoms(use_true_random=False))
def test_observe_sorts_records_it_is_given_out_of_order(events, rng: random.Random):
    ref = reference(*WORLD)
    records = records_of(ref, events)
    shuffled = list(records)
    rng.shuffle(shuffled)
    assert EndUseDetector().observe(shuffled, ref) == EndUseDetector().observe(records, ref)

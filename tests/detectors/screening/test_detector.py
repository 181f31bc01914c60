"""ScreeningDetector through the engine: each rule with its nearest legitimate twin,
continuous screening, the Affiliates Rule by event time, batch independence and state."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.alerts import alert_id
from detectors.engine import Reference
from detectors.parties import derived_entity_id
from detectors.screening import default_config
from detectors.screening_detector import (
    ADDRESS_DETECTOR,
    MATCH_DETECTOR,
    OWNER_DETECTOR,
    OWNER_PATTERN_KEY,
    ScreeningDetector,
)
from tests.detectors.parties._build import at, entity
from tests.detectors.screening._build import ENTRIES, screening_entry
from tests.detectors.screening._events import RULE_DAY, SELLER, content, listed, order, party, run, shipment

LIST = list(ENTRIES)  # Sugon, Inspur, NUDT, ... (entity_list, day 0) and one unverified_list entry
DAWNING = party("Dawning Information Industry Co", "CN")


def _one(engine):
    [alert] = engine.alerts()
    return alert


# -- LISTED_PARTY_MATCH -----------------------------------------------------------------


def test_listed_end_user_on_an_order_is_a_critical_match() -> None:
    engine, _ = run([*LIST, order("o1", 10, end_user=DAWNING)])
    alert = _one(engine)
    subject_id = derived_entity_id(DAWNING["name"], "CN")
    assert alert.alert_id == alert_id("screening", subject_id, "sugon")
    assert (alert.detector, alert.typology, alert.severity) == (MATCH_DETECTOR, "screening", "critical")
    assert alert.subject.entity_id == subject_id and alert.subject.name == DAWNING["name"]
    assert alert.red_flags == ["LISTED_PARTY_MATCH"] and alert.evidence == ["o1"]
    assert [p.entity_id for p in alert.related or ()] == [SELLER["entity_id"]]
    assert alert.score == 1.0
    assert alert.summary.startswith("Dawning Information Industry Co (CN) on order SO-o1 as end_user matches "
                                    "Entity List entry 'Dawning Information Industry Co., Ltd.'")
    details = alert.details
    assert details["entry_id"] == "sugon" and details["list"] == "entity_list"
    assert details["components"]["name_score"] == 1.0 and "explanation" in details
    assert details["list_version"] and details["entry_event_id"] == "scr-sugon-0"


@pytest.mark.parametrize(
    "name, country",
    [("Sun Information Technology Ltd", "CN"), ("National Trading Technology Corp", "SG"),
     ("Kowloon Trading Limited", "HK"), ("Sugon Food Trading Sdn Bhd", "MY")],
)
def test_common_word_names_do_not_alert(name: str, country: str) -> None:
    engine, _ = run([*LIST, order("o1", 10, end_user=party(name, country), buyer=party(name, country))])
    assert engine.alerts() == []


def test_unverified_list_match_is_high() -> None:
    engine, _ = run([*LIST, shipment("s1", 10, consignee=party("Kowloon Bright Star Trading Ltd", "HK"))])
    alert = _one(engine)
    assert alert.severity == "high" and alert.details["list"] == "unverified_list"


@pytest.mark.parametrize("role", ["seller", "buyer", "ship_to", "end_user", "payer"])
def test_every_order_role_is_screened(role: str) -> None:
    engine, _ = run([*LIST, order("o1", 10, **{role: party("Inspurr Group", "CN")})])
    alert = _one(engine)
    assert alert.details["entry_id"] == "inspur" and f"as {role}" in alert.summary


@pytest.mark.parametrize("role", ["shipper", "consignee", "intermediate_consignee", "freight_forwarder"])
def test_every_shipment_role_is_screened(role: str) -> None:
    parties = {"consignee": party("Harbour Lane Trading Pte Ltd", "SG"), role: party("Inspurr Group", "CN")}
    engine, _ = run([*LIST, shipment("s1", 10, **parties)])
    assert _one(engine).details["entry_id"] == "inspur"


def test_evidence_grows_as_the_party_appears_again_and_stays_one_alert() -> None:
    events = [*LIST, order("o1", 10, end_user=DAWNING), shipment("s1", 12, consignee=DAWNING),
              order("o2", 20, buyer=party("Sun Information Technology Ltd", "CN"))]
    alert = _one(run(events)[0])
    assert alert.evidence == ["o1", "s1"]


def test_registered_party_is_screened_by_its_registry_names_too() -> None:
    # Typed under a trading name, with the producer's id; the registry knows its alias.
    harbor = entity("ent-harbor", "Cloud Harbor Ltd", country="CN", aliases=["Zhongke Shuguang"])
    engine, _ = run([*LIST, harbor, order("o1", 10, buyer=party("Cloud Harbor", "CN", entity_id="ent-harbor"))])
    alert = _one(engine)
    assert alert.subject.entity_id == "ent-harbor" and alert.details["matched_alias"] == "Zhongke Shuguang"
    twin = entity("ent-harbor", "Cloud Harbor Ltd", country="CN", aliases=["Harbor Cloud"])
    engine, _ = run([*LIST, twin, order("o1", 10, buyer=party("Cloud Harbor", "CN", entity_id="ent-harbor"))])
    assert engine.alerts() == []


def test_registry_names_are_screened_once_per_record_whatever_the_spelling_on_documents(monkeypatch) -> None:
    # Every spelling of a registered party on a document is screened with the record's
    # own names; those are screened once for the record, and again only for a new record.
    from detectors.screening import ScreeningMatcher

    screened: list[str] = []
    match = ScreeningMatcher.match
    monkeypatch.setattr(ScreeningMatcher, "match", lambda self, name, *args, **kwargs: screened.append(name)
                        or match(self, name, *args, **kwargs))
    harbor = entity("ent-harbor", "Cloud Harbor Ltd", country="CN", aliases=["Zhongke Shuguang"])
    spellings = ["Cloud Harbor", "CLOUD HARBOR LTD.", "Cloud Harbour"]
    orders = [order(f"o{i}", 10 + i, buyer=party(name, "CN", entity_id="ent-harbor")) for i, name in enumerate(spellings)]
    renamed = entity("ent-harbor", "Cloud Harbor Holdings", country="CN", aliases=["Zhongke Shuguang"], day=20)
    engine, _ = run([*LIST, harbor, *orders, renamed, order("o9", 30, buyer=party("Cloud Harbor", "CN",
                                                                                     entity_id="ent-harbor"))])
    assert screened.count("Zhongke Shuguang") == 2  # the first record, then the renamed one
    assert screened.count("Cloud Harbor Ltd") == 1 and screened.count("Cloud Harbor Holdings") == 1
    assert {a.details["matched_alias"] for a in engine.alerts()} == {"Zhongke Shuguang"}


# -- LISTED_PARTY_ADDRESS ---------------------------------------------------------------

NSCC = listed("nscc-wuxi-addr", "National Supercomputing Center Wuxi", address="1 Yinbai Road, Binhu District",
              city="Wuxi")
SOPHGO = listed("sophgo-addr", "Sophgo Technologies Ltd.", address="Haidian District", city="Beijing")


def test_front_company_at_a_listed_address_is_flagged() -> None:
    front = party("Hangzhou Anxin Holdings Co., Ltd.", "CN", address="1 Yinbai Road, Binhu District, Wuxi")
    alert = _one(run([NSCC, shipment("s1", 10, consignee=front)])[0])
    assert (alert.detector, alert.severity, alert.red_flags) == (ADDRESS_DETECTOR, "high", ["LISTED_PARTY_ADDRESS"])
    assert alert.alert_id == alert_id("screening", derived_entity_id(front["name"], "CN"), "nscc-wuxi-addr")


@pytest.mark.parametrize(
    "address, country",
    [("12 Yinbai Road, Binhu District, Wuxi", "CN"),  # another number on the same road
     ("1 Yinbai Road, Binhu District, Wuxi", "SG"),  # another country
     ("8 Binhu Avenue, Wuxi", "CN")],
)
def test_a_different_address_is_not_flagged(address: str, country: str) -> None:
    front = party("Hangzhou Anxin Holdings Co., Ltd.", country, address=address)
    assert run([NSCC, shipment("s1", 10, consignee=front)])[0].alerts() == []


def test_a_listed_address_with_only_a_district_never_matches_alone() -> None:
    neighbour = party("Beijing Yunfan Software Co., Ltd.", "CN", address="Haidian District, Beijing")
    assert run([SOPHGO, shipment("s1", 10, consignee=neighbour)])[0].alerts() == []


# -- continuous screening -----------------------------------------------------------------

BANYAN = party("BANYAN TRADING SDN. BHD.", "MY", entity_id="ent-banyan")
BANYAN_ENTRY = screening_entry("banyan", "Banyan Trading Sdn Bhd", "Banyan Trading", day=20, countries=("MY",))


def _banyan_history():
    return [entity("ent-banyan", "Banyan Trading Sdn Bhd", country="MY"),
            order("o1", 10, buyer=BANYAN), shipment("s1", 15, consignee=BANYAN)]


def test_party_listed_after_it_traded_is_reported_at_the_listing() -> None:
    engine, _ = run([*_banyan_history(), BANYAN_ENTRY])
    alert = _one(engine)
    assert alert.red_flags == ["LISTED_PARTY_MATCH", "NEWLY_LISTED_PARTY"]
    assert alert.event_time == at(20)  # the change, not the wall clock, not the last trade
    assert alert.evidence == ["o1", "s1"] and alert.details["trigger"] == "list_update"
    assert alert.subject.entity_id == "ent-banyan" and alert.severity == "critical"


def test_later_trade_with_a_newly_listed_party_grows_the_same_alert() -> None:
    first = _one(run([*_banyan_history(), BANYAN_ENTRY])[0])
    later = _one(run([*_banyan_history(), BANYAN_ENTRY, order("o2", 30, buyer=BANYAN)])[0])
    assert later.alert_id == first.alert_id and later.event_time == at(20)
    assert later.evidence == ["o1", "o2", "s1"]


def test_unrelated_list_update_raises_nothing_new() -> None:
    engine, _ = run([*_banyan_history(), screening_entry("other", "Zhipu Huazhang Technology", day=20)])
    assert engine.alerts() == []


def test_delisted_entry_raises_nothing_new() -> None:
    delisted = screening_entry("banyan", "Banyan Trading Sdn Bhd", day=25, countries=("MY",), deleted=True)
    before = [entity("ent-banyan", "Banyan Trading Sdn Bhd", country="MY"),
              screening_entry("banyan", "Banyan Trading Sdn Bhd", day=5, countries=("MY",)),
              order("o1", 10, buyer=BANYAN)]
    alert = _one(run(before)[0])
    engine, detector = run([*before, delisted, order("o2", 30, buyer=BANYAN),
                            order("o3", 31, buyer=party("Banyan Trading", "MY"))])
    assert content(engine.alerts()) == content([alert])  # no new evidence, no new alert
    assert detector.to_state()["parties"]["ent-banyan"][4] == []  # no longer counted as matching
    # Delisted before anyone traded with it: the entry never matches.
    engine, _ = run([entity("ent-banyan", "Banyan Trading Sdn Bhd", country="MY"),
                     screening_entry("banyan", "Banyan Trading Sdn Bhd", day=5, countries=("MY",)),
                     delisted, order("o2", 30, buyer=BANYAN)])
    assert engine.alerts() == []


# -- LISTED_PARTY_OWNED: the Affiliates Rule by event time ---------------------------------

INSPUR = entity("ent-inspur", "Inspur Group Co., Ltd.", country="CN")


def _owned(pct: float, *, via: float | None = None) -> list:
    if via is None:
        return [INSPUR, entity("ent-sub", "Titan Hosting Sdn Bhd", parent_id="ent-inspur", ownership_pct=pct)]
    return [INSPUR, entity("ent-hold", "Coral Investment Ltd", country="HK", parent_id="ent-inspur", ownership_pct=via),
            entity("ent-sub", "Titan Hosting Sdn Bhd", parent_id="ent-hold", ownership_pct=pct)]


SUB = party("Titan Hosting Sdn Bhd", "MY", entity_id="ent-sub")


def test_majority_owned_affiliate_receiving_controlled_items_is_critical() -> None:
    alert = _one(run([*LIST, *_owned(60), order("o1", RULE_DAY + 1, buyer=SUB)])[0])
    assert alert.alert_id == alert_id("screening", "ent-sub", OWNER_PATTERN_KEY)
    assert (alert.detector, alert.severity, alert.red_flags) == (OWNER_DETECTOR, "critical", ["LISTED_PARTY_OWNED"])
    assert alert.details["owner_id"] == "ent-inspur" and alert.details["effective_pct"] == 60.0
    assert [p.entity_id for p in alert.related or ()] == ["ent-inspur"]


def test_affiliate_without_controlled_items_is_high() -> None:
    alert = _one(run([*LIST, *_owned(100), order("o1", RULE_DAY + 1, buyer=SUB, controlled=False)])[0])
    assert alert.severity == "high"


def test_forty_percent_owner_is_not_an_affiliate() -> None:
    assert run([*LIST, *_owned(40), order("o1", RULE_DAY + 1, buyer=SUB)])[0].alerts() == []


def test_chain_counts_the_product_of_stakes() -> None:
    alert = _one(run([*LIST, *_owned(80, via=70), order("o1", RULE_DAY + 1, buyer=SUB)])[0])
    assert round(alert.details["effective_pct"], 6) == 56.0 and alert.details["path"] == ["ent-sub", "ent-hold",
                                                                                            "ent-inspur"]
    assert run([*LIST, *_owned(60, via=70), order("o1", RULE_DAY + 1, buyer=SUB)])[0].alerts() == []  # 42 %


def test_affiliates_rule_applies_from_9_november_2026_by_event_time() -> None:
    # Before the rule is in force, listed ownership is a medium risk indicator, not a licence matter.
    before = _one(run([*LIST, *_owned(60), order("o1", RULE_DAY - 0.5, buyer=SUB)])[0])
    assert before.severity == "medium" and before.details["policy"]["in_force_at_event"] is False
    assert "not yet in force" in before.summary
    alert = _one(run([*LIST, *_owned(60), order("o1", RULE_DAY, buyer=SUB)])[0])
    assert alert.event_time == at(RULE_DAY)
    assert alert.severity == "critical" and alert.details["policy"]["in_force_at_event"] is True


def test_rule_coming_into_force_rechecks_parties_seen_before() -> None:
    events = [*LIST, *_owned(60), order("o1", RULE_DAY - 10, buyer=SUB),
              order("o2", RULE_DAY + 2, buyer=party("Sun Information Technology Ltd", "CN"))]
    alert = _one(run(events)[0])
    # One alert: raised at medium when first seen, raised to critical when the rule came into force.
    assert alert.detector == OWNER_DETECTOR and alert.event_time == at(RULE_DAY - 10) and alert.evidence == ["o1"]
    assert alert.severity == "critical"


def test_affiliates_rule_can_be_switched_off() -> None:
    shipped = default_config()
    off = dataclasses.replace(shipped, ownership=dataclasses.replace(shipped.ownership, affiliates_rule_enabled=False))
    assert run([*LIST, *_owned(100), order("o1", RULE_DAY + 1, buyer=SUB)], config=off)[0].alerts() == []


def test_registry_change_rechecks_subsidiaries_of_the_changed_entity() -> None:
    hold = entity("ent-hold", "Coral Investment Ltd", country="HK")
    sub = entity("ent-sub", "Titan Hosting Sdn Bhd", parent_id="ent-hold", ownership_pct=100)
    seen = [*LIST, INSPUR, hold, sub, order("o1", RULE_DAY + 1, buyer=SUB)]
    assert run(seen)[0].alerts() == []
    bought = entity("ent-hold", "Coral Investment Ltd", country="HK", day=RULE_DAY + 5, parent_id="ent-inspur",
                    ownership_pct=80)
    alert = _one(run([*seen, bought])[0])
    assert alert.detector == OWNER_DETECTOR and alert.subject.entity_id == "ent-sub"
    assert alert.event_time == at(RULE_DAY + 5) and alert.details["effective_pct"] == 80.0
    minority = entity("ent-hold", "Coral Investment Ltd", country="HK", day=RULE_DAY + 5, parent_id="ent-inspur",
                      ownership_pct=40)
    assert run([*seen, minority])[0].alerts() == []


def test_owner_listed_later_is_reported_at_the_listing() -> None:
    sub = entity("ent-sub", "Titan Hosting Sdn Bhd", parent_id="ent-sophon", ownership_pct=75)
    sophon = entity("ent-sophon", "Sophon Compute Holdings", country="CN")
    entry = screening_entry("sophon", "Sophon Compute Holdings", day=RULE_DAY + 9)
    alert = _one(run([sophon, sub, order("o1", RULE_DAY + 1, buyer=SUB), entry])[0])
    assert alert.detector == OWNER_DETECTOR and alert.event_time == at(RULE_DAY + 9)


# -- memos follow the reference state ------------------------------------------------------
# Called directly, without on_reference_change: what a party's screening concludes is
# memoised, and the memo must not outlive the registry or list content it was computed on.

HARBOR = party("Cloud Harbor", "CN", entity_id="ent-harbor")


def _observe(detector: ScreeningDetector, ref: Reference, event) -> list:
    return detector.observe([ref.order(event)], ref)


def _reference(*records) -> Reference:
    ref = Reference()
    for record in records:
        (ref.screening if hasattr(record, "entry_id") else ref.registry).apply(record)
    return ref


def test_a_registry_change_renews_what_a_party_is_screened_by() -> None:
    ref = _reference(*LIST, entity("ent-harbor", "Cloud Harbor Ltd", country="CN", aliases=["Harbor Cloud"]))
    detector = ScreeningDetector()
    assert _observe(detector, ref, order("o1", 10, buyer=HARBOR)) == []
    ref.registry.apply(entity("ent-harbor", "Cloud Harbor Ltd", country="CN", day=11, aliases=["Zhongke Shuguang"]))
    # Typed exactly as before: only the registry record says it is now a listed alias.
    assert [f.pattern_key for f in _observe(detector, ref, order("o2", 12, buyer=HARBOR))] == ["sugon"]


def test_a_registry_change_up_the_chain_renews_listed_owners() -> None:
    hold = entity("ent-hold", "Coral Investment Ltd", country="HK")
    ref = _reference(*LIST, INSPUR, hold, entity("ent-sub", "Titan Hosting Sdn Bhd", parent_id="ent-hold",
                                                 ownership_pct=100))
    detector = ScreeningDetector()
    assert _observe(detector, ref, order("o1", RULE_DAY + 1, buyer=SUB)) == []
    ref.registry.apply(entity("ent-hold", "Coral Investment Ltd", country="HK", day=RULE_DAY + 2,
                              parent_id="ent-inspur", ownership_pct=80))
    [finding] = _observe(detector, ref, order("o2", RULE_DAY + 3, buyer=SUB))
    assert finding.detector == OWNER_DETECTOR and finding.details["owner_id"] == "ent-inspur"


def test_a_list_change_renews_matches() -> None:
    ref = _reference(*LIST)
    detector = ScreeningDetector()
    assert _observe(detector, ref, order("o1", 10, buyer=BANYAN)) == []
    ref.screening.apply(BANYAN_ENTRY)
    assert [f.pattern_key for f in _observe(detector, ref, order("o2", 21, buyer=BANYAN))] == ["banyan"]


def test_a_restored_detector_knows_the_rule_is_already_in_force() -> None:
    ref = _reference(*LIST, *_owned(60))
    detector = ScreeningDetector()
    assert len(_observe(detector, ref, order("o1", RULE_DAY + 1, buyer=SUB))) == 1
    restored = ScreeningDetector()
    restored.load_state(json.loads(json.dumps(detector.to_state())))
    # A later document of someone else: the rule did not come into force again, so the
    # owned party is not re-checked.
    assert _observe(restored, ref, order("o2", RULE_DAY + 2, buyer=BANYAN)) == []


def test_evidence_per_party_must_keep_at_least_one_document() -> None:
    ref = _reference(*LIST)
    ref.thresholds = ref.thresholds.with_overrides(screening={"evidence_per_party": 0})
    with pytest.raises(ValueError, match="evidence_per_party"):
        _observe(ScreeningDetector(), ref, order("o1", 10, buyer=BANYAN))


# -- determinism and state ----------------------------------------------------------------


def _scenario() -> list:
    """Every rule, reference records between trades, and several events per timestamp."""
    front = party("Hangzhou Anxin Holdings Co., Ltd.", "CN", address="1 Yinbai Road, Binhu District, Wuxi")
    return [
        *LIST, NSCC, *_owned(60), entity("ent-banyan", "Banyan Trading Sdn Bhd", country="MY"),
        order("o1", 10, end_user=DAWNING), order("o2", 10, buyer=BANYAN), shipment("s1", 10, consignee=front),
        order("o3", 12, buyer=SUB), order("o4", 12, buyer=party("Sun Information Technology Ltd", "CN")),
        BANYAN_ENTRY, shipment("s2", 20, consignee=BANYAN), order("o5", 20, end_user=party("Inspurr Group", "CN")),
        order("o6", RULE_DAY + 1, buyer=party("Harbour Lane Trading Pte Ltd", "SG")),
        screening_entry("banyan", "Banyan Trading Sdn Bhd", day=RULE_DAY + 3, countries=("MY",), deleted=True),
        order("o7", RULE_DAY + 5, buyer=BANYAN), shipment("s3", RULE_DAY + 5, consignee=SUB),
        order("o8", RULE_DAY + 5, end_user=DAWNING),
    ]


def test_scenario_covers_every_rule() -> None:
    alerts = run(_scenario())[0].alerts()
    assert {a.detector for a in alerts} == {MATCH_DETECTOR, ADDRESS_DETECTOR, OWNER_DETECTOR}
    assert len(alerts) == 5


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.integers(min_value=1, max_value=40), seed=st.randoms(use_true_random=False))
def test_alerts_do_not_depend_on_batch_size_or_tie_order(batch: int, seed) -> None:
    expected = content(run(_scenario())[0].alerts())
    events = _scenario()
    seed.shuffle(events)
    events.sort(key=lambda e: e.event_time)  # time order kept, ties in any order
    assert content(run(events, batch=batch)[0].alerts()) == expected


@pytest.mark.parametrize("cut", [3, 8, 12, 16, 20, 28])
def test_state_round_trip_is_the_same_as_never_stopping(cut: int) -> None:
    events = _scenario()
    expected = content(run(events)[0].alerts())
    engine, detector = run(events[:cut])
    restored = ScreeningDetector()
    restored.load_state(json.loads(json.dumps(detector.to_state())))
    assert restored.to_state() == detector.to_state()
    engine.detectors = [restored]
    engine.process(events[cut:])
    engine.flush()
    assert content(engine.alerts()) == expected


def test_state_is_bounded_per_party(report_figure) -> None:
    events = [*LIST, *(order(f"o{i:03d}", 10 + i, end_user=DAWNING, buyer=party(f"Buyer {i} Pte Ltd", "SG"))
                       for i in range(60))]
    _, detector = run(events)
    state = detector.to_state()
    dawning = state["parties"][derived_entity_id(DAWNING["name"], "CN")]
    assert dawning[3] == [f"o{i:03d}" for i in range(40, 60)]  # the latest evidence_per_party ids
    size = len(json.dumps(state["parties"]).encode())
    per_party = size / detector.tracked_parties
    full = len(json.dumps({"k": dawning}).encode())  # a party at the evidence cap
    assert full < 1024
    report_figure(f"screening detector state: {per_party:.0f} bytes per tracked party on average here "
                  f"({detector.tracked_parties} parties), {full} bytes for a party at the 20-id evidence cap")


def test_empty_state_resets() -> None:
    _, detector = run(_scenario())
    detector.load_state({})
    assert detector.tracked_parties == 0 and detector.to_state()["latest"] is None
    with pytest.raises(ValueError):
        detector.load_state({"format": 99})

"""Serials as runs (``serials``): they answer exactly as the sorted strings they replace,
and the run index answers exactly as a serial -> legs dict."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.transshipment.serials import EMPTY, SerialIndex, Serials

SERIAL = st.one_of(
    st.text("AB-09", min_size=1, max_size=6),
    st.builds(lambda p, n, w: f"{p}{n:0{w}d}", st.sampled_from(("", "SN", "X-")), st.integers(0, 300),
              st.integers(1, 4)),
    st.sampled_from(("12345678901234567890123", "٣٤", "A\n7", "0", "00", "SN99", "SN100", "SN0063", "SN0064")),
)
SERIALS = st.lists(SERIAL, max_size=30)


@given(SERIALS)
def test_serials_read_as_the_sorted_distinct_strings(serials):
    held = Serials.of(serials)
    expected = tuple(sorted(set(serials)))
    assert tuple(held) == expected
    assert len(held) == len(expected) and bool(held) == bool(expected)
    assert all(serial in held for serial in serials)
    assert Serials.of(reversed(serials)) == held and hash(Serials.of(expected)) == hash(held)


@given(SERIALS, SERIALS)
def test_set_operations_match_sets_of_strings(a, b):
    x, y = Serials.of(a), Serials.of(b)
    assert x.shared(y) == set(a) & set(b)
    assert x.shared_count(y) == len(set(a) & set(b)) == y.shared_count(x)
    assert tuple(x.union(y)) == tuple(sorted(set(a) | set(b)))
    assert (x == y) == (set(a) == set(b))
    assert all(serial not in x for serial in set(b) - set(a))


def test_a_lot_is_one_run_and_a_width_change_starts_another():
    lot = [f"{n:013d}" for n in range(2600010649698, 2600010649898)]
    assert Serials.of(lot).runs == (("", 13, 2600010649698, 2600010649897),)
    assert Serials.of(["SN98", "SN99", "SN100"]).runs == (("SN", 2, 98, 99), ("SN", 3, 100, 100))
    assert Serials.of(["odd"]).runs == (("odd", 0, 0, 0),) and Serials.of([]) is EMPTY
    assert tuple(Serials.of(["00", "100", "0"])) == ("0", "00", "100")  # digits of three widths


class _Model:
    """The index it replaces: serial -> sorted (t, key) pairs."""

    def __init__(self) -> None:
        self.legs: dict[str, list[tuple[int, str]]] = {}

    def add(self, serials, entry):
        for serial in serials:
            self.legs.setdefault(serial, []).append(entry)
            self.legs[serial].sort()

    def remove(self, serials, entry):
        for serial in serials:
            self.legs[serial].remove(entry)
            if not self.legs[serial]:
                del self.legs[serial]


@settings(max_examples=150)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5), st.lists(SERIAL, max_size=12)), max_size=25),
       st.lists(st.builds(lambda a, n: f"{a}{n}", st.sampled_from(("", "SN")), st.integers(0, 200)), max_size=5))
def test_index_answers_as_a_dict_of_serials(operations, also_asked):
    index, model = SerialIndex(), _Model()
    indexed: dict[tuple[int, str], Serials] = {}
    for n, (remove, t, serials) in enumerate(operations):
        if remove and indexed:
            entry = sorted(indexed)[t % len(indexed)]
            gone = indexed.pop(entry)
            index.remove(gone, entry)
            model.remove(gone, entry)
            continue
        entry, held = (t, f"leg-{n}"), Serials.of(serials)
        index.add(held, entry)
        model.add(held, entry)
        indexed[entry] = held
        for serial in [*serials, *also_asked]:
            assert index.legs(serial) == model.legs.get(serial, [])
        for entry, held in indexed.items():
            assert index.on_other_legs(held, entry) == [s for s in held if len(model.legs[s]) > 1]
    rebuilt = SerialIndex()
    for entry, held in reversed(list(indexed.items())):
        rebuilt.add(held, entry)
    assert rebuilt == index
    for entry, held in indexed.items():
        index.remove(held, entry)
    assert index == SerialIndex()

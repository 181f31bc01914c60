"""AnomalyModel: deterministic for a seed, odd rows score higher, explanations name the cause."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.anomaly.features import FEATURE_NAMES
from detectors.anomaly.model import AnomalyModel
from tests.detectors.anomaly._build import matrix

COL = {name: i for i, name in enumerate(FEATURE_NAMES)}


@pytest.fixture(scope="module")
def X() -> np.ndarray:
    return matrix(seed=1)


def _fit(X: np.ndarray, seed: int = 7) -> AnomalyModel:
    return AnomalyModel(n_estimators=60, random_state=seed).fit(X, FEATURE_NAMES)


def test_fit_returns_self_with_learned_attributes(X):
    model = AnomalyModel(n_estimators=10, random_state=0)
    assert model.fit(X, FEATURE_NAMES) is model
    assert model.feature_names_ == FEATURE_NAMES
    assert model.n_samples_ == len(X)
    assert model.center_.shape == model.scale_.shape == (len(FEATURE_NAMES),)
    assert np.all(model.scale_ > 0)
    assert not hasattr(AnomalyModel(), "forest_")  # __init__ only stores parameters


def test_same_seed_same_scores_other_seed_other_forest(X):
    a, b, c = _fit(X, 7), _fit(X, 7), _fit(X, 8)
    probe = matrix(seed=2, rows=50)
    assert np.array_equal(a.score_many(probe), b.score_many(probe))
    assert not np.array_equal(a.score_many(probe), c.score_many(probe))


def test_scores_are_in_unit_interval_and_match_row_by_row(X):
    model = _fit(X)
    probe = matrix(seed=3, rows=20)
    many = model.score_many(probe)
    assert np.all((many > 0) & (many < 1))
    assert [model.score(row) for row in probe] == pytest.approx(list(many), abs=0)


def test_clearly_anomalous_party_scores_above_a_normal_one(X):
    model = _fit(X)
    normal = np.median(X, axis=0)
    odd = normal.copy()
    odd[COL["accelerators_90d"]] = 40_000
    odd[COL["accelerators_365d"]] = 45_000
    odd[COL["value_usd_365d"]] = 45_000 * 30_000
    odd[COL["capacity_use_365d"]] = 11.0
    odd[COL["transshipment_point_share_365d"]] = 1.0
    odd[COL["expedited_share_365d"]] = 1.0
    assert model.score(odd) > model.score(normal) + 0.1
    assert model.percentile(model.score(odd)) > 0.95


@pytest.mark.parametrize(
    "feature, value",
    [("accelerators_90d", 50_000.0), ("transshipment_point_share_365d", 1.0), ("expedited_share_365d", 1.0)],
)
def test_explanation_names_the_inflated_feature(X, feature, value):
    model = _fit(X)
    row = np.median(X, axis=0)
    row[COL[feature]] = value
    explained = model.explain(row, top=3)
    assert explained[0][0] == feature
    assert explained[0][1] > 0
    assert model.deviations(row)[COL[feature]] > 3


def test_a_feature_constant_in_training_cannot_move_the_score(X):
    """A known isolation-forest limit, pinned so nobody relies on it: trees never split on a
    feature that never varied, so only ``deviations`` (not the score) sees such a value."""
    model = _fit(X)
    row = np.median(X, axis=0)
    odd = row.copy()
    odd[COL["cash_crypto_share_365d"]] = 1.0  # always 0 in this training matrix
    assert model.score(odd) == model.score(row)
    assert model.deviations(odd)[COL["cash_crypto_share_365d"]] > 0


def test_typical_is_the_training_median(X):
    model = _fit(X)
    assert model.typical("orders_365d") == pytest.approx(float(np.median(X[:, COL["orders_365d"]])))


def test_rejects_bad_input(X):
    with pytest.raises(ValueError):
        AnomalyModel().fit(X[:, :3], FEATURE_NAMES)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        AnomalyModel().fit(bad, FEATURE_NAMES)
    with pytest.raises(RuntimeError):
        AnomalyModel().transform(X)


def test_fast_scoring_equals_sklearn_score_samples(X):
    model = _fit(X)
    probe = np.vstack([X[:100], matrix(seed=5, rows=100) * 3.0, np.zeros((1, X.shape[1]))])
    expected = -model.forest_.score_samples(model.transform(probe))
    assert np.array_equal(model.score_many(probe), expected)

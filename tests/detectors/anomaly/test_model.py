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


@pytest.mark.parametrize("max_features", [1.0, 0.5])
def test_both_tree_walks_equal_sklearn_on_small_and_large_batches(X, max_features):
    """Small batches take the vectorised walk, large ones sklearn's C walk (``_C_WALK_ROWS``);
    both must give sklearn's scores bit for bit, also when each tree sees a feature subset."""
    from detectors.anomaly import model as M

    model = AnomalyModel(n_estimators=40, max_features=max_features, random_state=4).fit(X, FEATURE_NAMES)
    probe = np.vstack([matrix(seed=6, rows=M._C_WALK_ROWS + 50) * 2.0, X[:50]])
    expected = -model.forest_.score_samples(model.transform(probe))
    assert np.array_equal(model.score_many(probe), expected)  # one large batch
    small = np.concatenate([model.score_many(probe[i : i + 37]) for i in range(0, len(probe), 37)])
    assert np.array_equal(small, expected)
    scaled = model.transform(probe[:100])
    model._flat_scores(scaled)  # compiled
    data = scaled.astype(np.float32)
    assert np.array_equal(model._vector_walk(data), model._sklearn_walk(data))  # summed path lengths


def test_repeated_rows_are_scored_once_with_the_same_score(X):
    model = _fit(X)
    probe = np.vstack([X[:5], X[:5], X[2:3], -X[:1]])
    scores = model.score_many(probe)
    assert np.array_equal(scores[:5], scores[5:10])
    assert scores[10] == scores[2]
    assert np.array_equal(scores, -model.forest_.score_samples(model.transform(probe)))


def test_a_row_with_nan_is_walked_as_sklearn_does(X):
    """sklearn sends a missing value where the training data went at each split; the
    vectorised walk has no such rule, so such a row takes sklearn's walk."""
    model = _fit(X)
    probe = X[:20].copy()
    probe[:, COL["accelerators_90d"]] = np.nan
    expected = -model.forest_.score_samples(model.transform(probe))
    assert np.array_equal(model.score_many(probe), expected)

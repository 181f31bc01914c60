"""``AnomalyModel``: an isolation forest over robust-scaled party behaviour.

Why an isolation forest (scikit-learn's ``IsolationForest``):

* The behaviour rows mix heavy-tailed volumes, shares in [0, 1] and one-hot registry
  facts. Trees split one feature at a time, so no distance metric has to weigh "4,000
  more accelerators" against "one more country" (which LOF, one-class SVM or a
  Mahalanobis distance would).
* Unsupervised, and tolerant of a little contamination: training data is history with
  the odd diversion in it, never a labelled set.
* Cheap and deterministic: fit is seconds on tens of thousands of snapshots, scoring a
  row is a few tree walks, and a fixed ``random_state`` gives the same forest every time.
* Its score is already on 0..1 (``2 ** (-mean path length / c(n))``, Liu et al. 2008):
  about 0.5 for ordinary points, towards 1 for points isolated in a few splits.

Pre-processing: counts, money, days and ratios on ``log1p`` (the listed log features),
then centred on the training median and divided by a robust spread (IQR / 1.349; where
more than half the rows share a value, the 5-95% range / 3.29; then the standard
deviation; then 1). Trees do not care about scale; the scaling is what makes the
explanation's "how unusual is this feature" comparable across features.

Explanation (``explain``) is occlusion, not a decomposition: for each feature, how much
the score drops when that feature alone is set back to the training median. It names the
features that drive *this* score; two redundant extreme features each get a share
smaller than their joint effect. ``deviations`` gives the plainer "how many robust units
from typical" per feature, for display.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.ensemble import IsolationForest

__all__ = ["AnomalyModel", "QUANTILES"]

#: Training score quantiles kept with the model (metadata, percentiles).
QUANTILES: tuple[float, ...] = tuple(np.round(np.linspace(0.0, 1.0, 201), 3))


class AnomalyModel:
    """Isolation forest on log/robust-scaled behaviour rows; ``score`` in 0..1, higher = odder."""

    def __init__(
        self,
        n_estimators: int = 100,
        max_samples: int | float | str = 256,
        contamination: float | str = 0.01,
        max_features: float = 1.0,
        random_state: int = 0,
        log_features: Sequence[str] | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.contamination = contamination
        self.max_features = max_features
        self.random_state = random_state
        self.log_features = log_features

    # -- sklearn-style -------------------------------------------------------------------

    def get_params(self) -> dict[str, Any]:
        return {
            "n_estimators": self.n_estimators,
            "max_samples": self.max_samples,
            "contamination": self.contamination,
            "max_features": self.max_features,
            "random_state": self.random_state,
            "log_features": None if self.log_features is None else list(self.log_features),
        }

    def fit(self, X: Any, feature_names: Sequence[str]) -> AnomalyModel:
        data = np.asarray(X, dtype=np.float64)
        names = tuple(str(n) for n in feature_names)
        if data.ndim != 2 or data.shape[1] != len(names):
            raise ValueError(f"X has shape {data.shape}, expected (n, {len(names)})")
        if data.shape[0] < 2:
            raise ValueError("need at least two rows to fit")
        if not np.all(np.isfinite(data)):
            raise ValueError("X has NaN or infinite values")
        if self.log_features is None:
            from detectors.anomaly.features import LOG_FEATURES

            logs = set(LOG_FEATURES)
        else:
            logs = set(self.log_features)
        self.feature_names_ = names
        self.log_mask_ = np.array([n in logs for n in names], dtype=bool)
        transformed = self._log(data)
        self.center_ = np.median(transformed, axis=0)
        self.scale_ = _robust_scale(transformed)
        self.raw_median_ = np.median(data, axis=0)
        self.raw_quantiles_ = np.quantile(data, [0.05, 0.25, 0.75, 0.95], axis=0)
        max_samples = self.max_samples
        if isinstance(max_samples, int):
            max_samples = min(max_samples, data.shape[0])
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=max_samples,
            contamination=self.contamination,
            max_features=self.max_features,
            random_state=self.random_state,
            n_jobs=1,
        ).fit(self._scaled(transformed))
        scores = self.score_many(data)
        self.n_samples_ = int(data.shape[0])
        self.score_quantiles_ = np.quantile(scores, QUANTILES)
        # The score above which ``contamination`` of the training rows lie (sklearn's offset).
        self.threshold_ = float(-self.forest_.offset_)
        return self

    # -- scoring -------------------------------------------------------------------------

    def transform(self, X: Any) -> np.ndarray:
        """Rows as the forest sees them: log where listed, minus median, over robust spread."""
        self._check_fitted()
        return self._scaled(self._log(np.asarray(X, dtype=np.float64)))

    def score_many(self, X: Any) -> np.ndarray:
        """Anomaly scores (0..1) for many rows; identical to ``score`` row by row.

        Equal to ``-forest_.score_samples`` (a test pins it), computed by walking all trees
        at once over flattened node arrays: the detector scores a handful of rows per
        micro-batch, where sklearn's per-tree loop costs milliseconds per call.
        """
        data = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if data.shape[0] == 0:
            return np.zeros(0)
        return self._flat_scores(self.transform(data))

    def score(self, x: Any) -> float:
        return float(self.score_many(np.asarray(x, dtype=np.float64).reshape(1, -1))[0])

    def percentile(self, score: float) -> float:
        """Share of training rows scoring at or below ``score`` (from the stored quantiles)."""
        self._check_fitted()
        return float(np.interp(score, self.score_quantiles_, QUANTILES, left=0.0, right=1.0))

    # -- explanation ---------------------------------------------------------------------

    def deviations(self, x: Any) -> np.ndarray:
        """Per feature: distance from the training median in robust units (signed)."""
        return self.transform(np.asarray(x, dtype=np.float64).reshape(1, -1))[0]

    def explain(self, x: Any, top: int | None = None) -> list[tuple[str, float]]:
        """Features that drove the score, strongest first: (name, score drop if made typical).

        Only features whose reset lowers the score are listed; ties (and a row whose score
        no single feature explains) fall back to the size of the deviation.
        """
        row = self.transform(np.asarray(x, dtype=np.float64).reshape(1, -1))[0]
        probes = np.repeat(row.reshape(1, -1), len(row) + 1, axis=0)
        np.fill_diagonal(probes, 0.0)  # each feature alone set to the training median (last row: as is)
        scores = self._flat_scores(probes)
        drops = scores[-1] - scores[:-1]
        order = sorted(range(len(row)), key=lambda i: (-round(float(drops[i]), 9), -abs(float(row[i])), i))
        out = [(self.feature_names_[i], round(float(drops[i]), 6)) for i in order if drops[i] > 1e-9]
        if not out:
            order = sorted(range(len(row)), key=lambda i: (-abs(float(row[i])), i))
            out = [(self.feature_names_[i], 0.0) for i in order if abs(row[i]) > 0]
        return out[:top] if top is not None else out

    def typical(self, feature: str) -> float:
        """The training median of a feature, in its own units."""
        return float(self.raw_median_[self.feature_names_.index(feature)])

    # -- internals -----------------------------------------------------------------------

    def _log(self, data: np.ndarray) -> np.ndarray:
        out = np.array(data, dtype=np.float64, copy=True)
        out[:, self.log_mask_] = np.log1p(np.clip(out[:, self.log_mask_], 0.0, None))
        return out

    def _scaled(self, transformed: np.ndarray) -> np.ndarray:
        return (transformed - self.center_) / self.scale_

    def _flatten(self) -> None:
        """All trees as one node table: global child indices, original feature columns,
        float64 thresholds, and each leaf's path length (depth + c(leaf samples) - 1, as
        sklearn computes it). Leaves point to themselves, so a fixed number of steps
        (the depth limit) walks every row to its leaf in every tree."""
        forest = self.forest_
        lefts, rights, feats, thresholds, values, roots = [], [], [], [], [], []
        offset = 0
        for tree, columns in zip(forest.estimators_, forest.estimators_features_):
            t = tree.tree_
            n = t.node_count
            leaf = t.children_left == -1
            index = np.arange(n)
            lengths = np.zeros(n)  # node depth, root = 1 (sklearn's decision path length)
            lengths[0] = 1.0
            for node in range(n):  # children always come after their parent
                if not leaf[node]:
                    lengths[t.children_left[node]] = lengths[t.children_right[node]] = lengths[node] + 1.0
            averages = np.array([_average_path_length(float(k)) for k in t.n_node_samples])
            lefts.append(np.where(leaf, index, t.children_left) + offset)
            rights.append(np.where(leaf, index, t.children_right) + offset)
            feats.append(np.where(leaf, 0, np.asarray(columns)[np.maximum(t.feature, 0)]))
            thresholds.append(np.where(leaf, np.inf, t.threshold))
            values.append(np.where(leaf, lengths + averages - 1.0, 0.0))
            roots.append(offset)
            offset += n
        self._left = np.concatenate(lefts).astype(np.int64)
        self._right = np.concatenate(rights).astype(np.int64)
        self._feature = np.concatenate(feats).astype(np.int64)
        self._threshold = np.concatenate(thresholds).astype(np.float64)
        self._value = np.concatenate(values).astype(np.float64)
        self._roots = np.asarray(roots, dtype=np.int64)
        self._steps = max(int(max(e.tree_.max_depth for e in forest.estimators_)), 0)
        c = _average_path_length(float(forest.max_samples_))
        self._denominator = len(forest.estimators_) * c

    def _flat_scores(self, scaled: np.ndarray) -> np.ndarray:
        if not hasattr(self, "_left"):
            self._flatten()
        # sklearn trees compare float32 inputs against float64 thresholds.
        data = scaled.astype(np.float32).astype(np.float64)
        rows = np.arange(data.shape[0])[:, None]
        node = np.broadcast_to(self._roots, (data.shape[0], len(self._roots))).copy()
        for _ in range(self._steps):
            go_left = data[rows, self._feature[node]] <= self._threshold[node]
            node = np.where(go_left, self._left[node], self._right[node])
        lengths = self._value[node]
        depths = np.zeros(data.shape[0])
        for t in range(lengths.shape[1]):  # tree by tree, as sklearn sums
            depths += lengths[:, t]
        if self._denominator == 0:
            return np.ones(data.shape[0])
        return 2.0 ** (-(depths / self._denominator))

    def _check_fitted(self) -> None:
        if not hasattr(self, "forest_"):
            raise RuntimeError("AnomalyModel is not fitted")

    # -- persistence (see detectors.anomaly.artefact) --------------------------------------

    def to_payload(self) -> dict[str, Any]:
        """Plain containers plus the sklearn forest: what the artefact pickles."""
        self._check_fitted()
        return {
            "params": self.get_params(),
            "feature_names": list(self.feature_names_),
            "log_mask": self.log_mask_,
            "center": self.center_,
            "scale": self.scale_,
            "raw_median": self.raw_median_,
            "raw_quantiles": self.raw_quantiles_,
            "n_samples": self.n_samples_,
            "score_quantiles": self.score_quantiles_,
            "threshold": self.threshold_,
            "forest": self.forest_,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> AnomalyModel:
        params = dict(payload["params"])
        model = cls(**params)
        model.feature_names_ = tuple(payload["feature_names"])
        model.log_mask_ = np.asarray(payload["log_mask"], dtype=bool)
        model.center_ = np.asarray(payload["center"], dtype=np.float64)
        model.scale_ = np.asarray(payload["scale"], dtype=np.float64)
        model.raw_median_ = np.asarray(payload["raw_median"], dtype=np.float64)
        model.raw_quantiles_ = np.asarray(payload["raw_quantiles"], dtype=np.float64)
        model.n_samples_ = int(payload["n_samples"])
        model.score_quantiles_ = np.asarray(payload["score_quantiles"], dtype=np.float64)
        model.threshold_ = float(payload["threshold"])
        model.forest_ = payload["forest"]
        return model


def _average_path_length(n: float) -> float:
    """c(n): average path length of an unsuccessful search in a binary search tree of n
    points (Liu et al.); the isolation forest's normaliser."""
    if n <= 1:
        return 0.0
    if n == 2:
        return 1.0
    return 2.0 * (np.log(n - 1.0) + np.euler_gamma) - 2.0 * (n - 1.0) / n


def _robust_scale(transformed: np.ndarray) -> np.ndarray:
    q05, q25, q75, q95 = np.quantile(transformed, [0.05, 0.25, 0.75, 0.95], axis=0)
    scale = (q75 - q25) / 1.349
    wide = (q95 - q05) / 3.29
    std = transformed.std(axis=0)
    scale = np.where(scale > 1e-12, scale, np.where(wide > 1e-12, wide, np.where(std > 1e-12, std, 1.0)))
    return scale

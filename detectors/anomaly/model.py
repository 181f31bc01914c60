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

        Equal to ``-forest_.score_samples`` (a test pins it). A score is a pure function
        of the row, so identical rows (a party whose record changed nothing the model
        sees, e.g. a sale) are scored once; see :meth:`_flat_scores` for the tree walks.
        """
        data = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if data.shape[0] == 0:
            return np.zeros(0)
        distinct, inverse = _distinct_rows(data)
        return self._flat_scores(self.transform(distinct))[inverse]

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

    def _compile(self) -> None:
        """Prepare both tree walks of :meth:`_flat_scores`, from the fitted forest.

        Per tree: each node's path length if it is a leaf (depth + c(leaf samples) - 1,
        as sklearn computes it), for sklearn's own C walk (``tree_.apply``). And all trees
        as one node table for a vectorised walk, numbered breadth-first so that a node's
        two children sit side by side: the next node is ``first_child + (x > threshold)``.
        Leaves are their own first child with an infinite threshold, so a fixed number of
        steps (the depth limit) walks every row to its leaf in every tree.
        """
        forest = self.forest_
        walks: list[tuple[Any, np.ndarray | None, np.ndarray]] = []
        first_child, feature, threshold, value, roots = [], [], [], [], []
        offset = 0
        for tree, columns in zip(forest.estimators_, forest.estimators_features_):
            t = tree.tree_
            columns = np.asarray(columns)
            leaf = t.children_left == -1
            lengths = np.zeros(t.node_count)  # node depth, root = 1 (sklearn's decision path length)
            lengths[0] = 1.0
            for node in range(t.node_count):  # children always come after their parent
                if not leaf[node]:
                    lengths[t.children_left[node]] = lengths[t.children_right[node]] = lengths[node] + 1.0
            averages = np.array([_average_path_length(float(k)) for k in t.n_node_samples])
            leaf_value = np.where(leaf, lengths + averages - 1.0, 0.0)
            identity = np.array_equal(columns, np.arange(len(self.feature_names_)))
            walks.append((t, None if identity else columns, leaf_value))
            order = _breadth_first(t.children_left, t.children_right)
            position = np.empty(t.node_count, dtype=np.intp)
            position[order] = np.arange(t.node_count)
            left = t.children_left[order]
            first_child.append(np.where(leaf[order], np.arange(t.node_count), position[np.maximum(left, 0)]) + offset)
            feature.append(np.where(leaf[order], 0, columns[np.maximum(t.feature[order], 0)]))
            threshold.append(np.where(leaf[order], np.inf, t.threshold[order]))
            value.append(leaf_value[order])
            roots.append(offset)
            offset += t.node_count
        self._walks = walks
        self._first_child = np.concatenate(first_child).astype(np.intp)
        self._feature = np.concatenate(feature).astype(np.intp)
        self._threshold = np.concatenate(threshold).astype(np.float64)
        self._value = np.concatenate(value).astype(np.float64)
        self._roots = np.asarray(roots, dtype=np.intp)
        self._steps = max(int(max(e.tree_.max_depth for e in forest.estimators_)), 0)
        c = _average_path_length(float(forest.max_samples_))
        self._denominator = len(forest.estimators_) * c

    def _flat_scores(self, scaled: np.ndarray) -> np.ndarray:
        """Scores of transformed rows, as sklearn computes them: each row's path lengths
        summed tree by tree in forest order (the same doubles as its loop).

        Two walks reach the same leaves. sklearn's C walk, one call per tree, costs ~4 us
        a call and ~35 ns a row: it wins on large batches (replay). The vectorised walk
        over all trees at once costs ~40 us a call and ~5 us a row: it wins on the few
        rows of a live micro-batch. A row with a NaN (never one of ``PartyFeatures``)
        takes sklearn's walk, which sends it where the training data went.
        """
        if not hasattr(self, "_walks"):
            self._compile()
        # sklearn trees compare float32 inputs against float64 thresholds.
        data = scaled.astype(np.float32)
        if data.shape[0] >= _C_WALK_ROWS or np.isnan(data).any():
            depths = self._sklearn_walk(data)
        else:
            depths = self._vector_walk(data)
        if self._denominator == 0:
            return np.ones(data.shape[0])
        return 2.0 ** (-(depths / self._denominator))

    def _sklearn_walk(self, data: np.ndarray) -> np.ndarray:
        """Path lengths summed over the trees, in forest order, through ``tree_.apply``."""
        depths = np.zeros(data.shape[0])
        for tree, columns, leaf_value in self._walks:
            leaves = tree.apply(data if columns is None else np.ascontiguousarray(data[:, columns]))
            depths += leaf_value[leaves]
        return depths

    def _vector_walk(self, data: np.ndarray) -> np.ndarray:
        """Path lengths summed over the trees, in forest order, walking every tree at once
        (see :meth:`_compile`); an accumulate adds them in that order, in one call."""
        flat = data.astype(np.float64).ravel()
        row_start = np.arange(data.shape[0], dtype=np.intp) * data.shape[1]
        node = np.repeat(self._roots[:, None], data.shape[0], axis=1)
        for _ in range(self._steps):
            node = self._first_child[node] + (flat[self._feature[node] + row_start] > self._threshold[node])
        return np.add.accumulate(self._value[node], axis=0)[-1]

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


#: From this many rows a batch is scored with sklearn's C walk (see ``_flat_scores``).
_C_WALK_ROWS = 512


def _distinct_rows(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, bit for bit; for each row of ``data``, its index among them)."""
    if data.shape[0] < 2:
        return data, np.zeros(data.shape[0], dtype=np.intp)
    data = np.ascontiguousarray(data)
    packed = data.view(np.dtype((np.void, data.dtype.itemsize * data.shape[1]))).ravel()
    distinct, inverse = np.unique(packed, return_inverse=True)
    return distinct.view(data.dtype).reshape(-1, data.shape[1]), inverse.ravel()


def _breadth_first(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """A tree's node ids in breadth-first order: a node's two children are adjacent."""
    order = [0]
    for node in order:  # grows while iterated: each node's children go to the end
        if left[node] != -1:
            order.extend((int(left[node]), int(right[node])))
    return np.asarray(order, dtype=np.intp)


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

"""The anomaly model on disk: a directory holding ``model.joblib`` and ``metadata.json``.

``metadata.json`` says what the model is without unpickling it: the model version
(``anomaly-<last training day>-<hash of training rows and params>``, so the same data and
parameters always give the same version), when it was trained, the seed, the training
window, how many parties / events / snapshot rows, the feature names, parameters,
library versions, the training score quantiles, and the SHA-256 of ``model.joblib``.

``load`` checks, in order, before unpickling anything: the artefact format, the feature
list (the detector's rows must mean what the model was trained on), the scikit-learn
major version (a pickled forest is not portable across majors; a minor difference only
warns), and the model file's checksum. Unpickling runs code: load only artefacts you
produced or trust, as with any pickle.

The default artefact (``detectors/anomaly/data/``) is small and committed; see the
README there for the command that reproduces it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import warnings
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
import sklearn.exceptions

from detectors.anomaly.features import FEATURE_NAMES
from detectors.anomaly.model import AnomalyModel

__all__ = ["ArtefactError", "DEFAULT_ARTEFACT", "FORMAT", "save", "load", "read_metadata", "model_version"]

FORMAT = 1
DEFAULT_ARTEFACT = Path(__file__).with_name("data")
_MODEL = "model.joblib"
_META = "metadata.json"


class ArtefactError(ValueError):
    """The artefact is missing, corrupt, or incompatible with this code."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _major(version: str) -> str:
    return version.split(".")[0]


def model_version(model: AnomalyModel) -> str:
    """``anomaly-<YYYYMMDD of the last training record>-<hash>``: a function of data and params."""
    data = getattr(model, "training_", None)
    digest = hashlib.blake2b(digest_size=6)
    digest.update(json.dumps(model.get_params(), sort_keys=True, default=str).encode())
    digest.update(json.dumps(list(model.feature_names_)).encode())
    if data is not None:
        digest.update(data.fingerprint().encode())
        day = data.last_time.strftime("%Y%m%d") if data.last_time else "00000000"
    else:
        digest.update(np.ascontiguousarray(model.score_quantiles_).tobytes())
        day = "00000000"
    return f"anomaly-{day}-{digest.hexdigest()}"


def save(model: AnomalyModel, directory: Path, *, source: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``model.joblib`` and ``metadata.json`` into ``directory``; returns the metadata."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / _MODEL
    joblib.dump(model.to_payload(), model_path, compress=("xz", 3))
    data = getattr(model, "training_", None)
    quantiles = {f"p{q * 100:g}": round(float(v), 6) for q, v in zip((0.5, 0.9, 0.99, 0.999, 1.0), _score_at(model, (0.5, 0.9, 0.99, 0.999, 1.0)))}
    metadata: dict[str, Any] = {
        "format": FORMAT,
        "kind": "anomaly.isolation",
        "model_version": model_version(model),
        "trained_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "seed": model.random_state,
        "training_window": {
            "start": data.first_time.isoformat() if data is not None and data.first_time else None,
            "end": data.last_time.isoformat() if data is not None and data.last_time else None,
        },
        "parties": data.n_parties if data is not None else None,
        "events": data.events if data is not None else None,
        "trade_records": data.trade_records if data is not None else None,
        "snapshots": int(model.n_samples_),
        "snapshot_days": data.snapshot_days if data is not None else None,
        "eligibility": dict(data.eligibility) if data is not None else None,
        "feature_names": list(model.feature_names_),
        "log_features": [n for n, m in zip(model.feature_names_, model.log_mask_) if m],
        "params": model.get_params(),
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "training_score_quantiles": quantiles,
        "contamination_threshold": round(model.threshold_, 6),
        "typical": {n: round(float(v), 6) for n, v in zip(model.feature_names_, model.raw_median_)},
        "source": source or {},
        "model_sha256": _sha256(model_path),
    }
    (directory / _META).write_text(json.dumps(metadata, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return metadata


def _score_at(model: AnomalyModel, qs: tuple[float, ...]) -> list[float]:
    from detectors.anomaly.model import QUANTILES

    return [float(np.interp(q, QUANTILES, model.score_quantiles_)) for q in qs]


def read_metadata(directory: Path | None = None) -> dict[str, Any]:
    path = Path(directory or DEFAULT_ARTEFACT) / _META
    if not path.exists():
        raise ArtefactError(f"{path}: no anomaly model metadata")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ArtefactError(f"{path}: unreadable metadata ({exc})") from exc


def check_compatible(metadata: dict[str, Any], *, feature_names: tuple[str, ...] = FEATURE_NAMES) -> None:
    """Raise ``ArtefactError`` unless this code can use the artefact (see the module docstring)."""
    if metadata.get("format") != FORMAT:
        raise ArtefactError(f"artefact format {metadata.get('format')!r}, this code reads format {FORMAT}")
    if tuple(metadata.get("feature_names", ())) != tuple(feature_names):
        raise ArtefactError("artefact feature names differ from this code's features: retrain the model")
    trained_with = str(metadata.get("sklearn_version", ""))
    if not trained_with or _major(trained_with) != _major(sklearn.__version__):
        raise ArtefactError(
            f"artefact trained with scikit-learn {trained_with or '?'}, running {sklearn.__version__}: retrain the model"
        )
    if trained_with.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        warnings.warn(
            f"anomaly artefact trained with scikit-learn {trained_with}, running {sklearn.__version__}",
            RuntimeWarning,
            stacklevel=3,
        )


def load(directory: Path | None = None) -> tuple[AnomalyModel, dict[str, Any]]:
    """The model and its metadata; ``ArtefactError`` when it cannot or must not be used."""
    directory = Path(directory or DEFAULT_ARTEFACT)
    metadata = read_metadata(directory)
    check_compatible(metadata)
    model_path = directory / _MODEL
    if not model_path.exists():
        raise ArtefactError(f"{model_path}: missing")
    if _sha256(model_path) != metadata.get("model_sha256"):
        raise ArtefactError(f"{model_path}: checksum does not match metadata.json")
    with warnings.catch_warnings():
        # A minor-version difference was already reported above, once.
        warnings.simplefilter("ignore", category=getattr(sklearn.exceptions, "InconsistentVersionWarning", UserWarning))
        payload = joblib.load(model_path)
    model = AnomalyModel.from_payload(payload)
    model.version_ = metadata["model_version"]
    return model, metadata

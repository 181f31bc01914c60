"""Artefact: save/load gives identical scores; metadata complete; incompatible ones refused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from detectors.anomaly import artefact
from detectors.anomaly.artefact import ArtefactError, load, read_metadata, save
from detectors.anomaly.features import FEATURE_NAMES
from detectors.anomaly.model import AnomalyModel
from detectors.anomaly.train import train
from tests.detectors.anomaly._build import market, matrix

REQUIRED = {
    "format", "model_version", "trained_at", "seed", "training_window", "parties", "events", "snapshots",
    "feature_names", "params", "sklearn_version", "training_score_quantiles", "model_sha256", "eligibility",
}


@pytest.fixture(scope="module")
def trained():
    return train(market(seed=5, buyers=12, days=200), seed=11, n_estimators=40)


@pytest.fixture()
def saved(tmp_path, trained):
    save(trained, tmp_path / "model", source={"test": True})
    return tmp_path / "model"


def test_round_trip_gives_identical_scores_and_explanations(saved, trained):
    loaded, metadata = load(saved)
    probe = np.vstack([trained.training_.X[:50], matrix(seed=9, rows=20)])
    assert np.array_equal(loaded.score_many(probe), trained.score_many(probe))
    assert loaded.explain(probe[0]) == trained.explain(probe[0])
    assert loaded.version_ == metadata["model_version"]


def test_metadata_fields(saved, trained):
    metadata = read_metadata(saved)
    assert REQUIRED <= set(metadata)
    assert metadata["feature_names"] == list(FEATURE_NAMES)
    assert metadata["seed"] == 11 and metadata["params"]["n_estimators"] == 40
    assert metadata["model_version"].startswith("anomaly-2025")
    assert metadata["parties"] == trained.training_.n_parties > 10
    assert metadata["snapshots"] == len(trained.training_.X)
    assert metadata["training_window"]["start"] < metadata["training_window"]["end"]
    quantiles = metadata["training_score_quantiles"]
    assert 0 < quantiles["p50"] <= quantiles["p99"] <= quantiles["p100"] < 1


def test_version_is_a_function_of_data_and_params(tmp_path, trained):
    again = train(trained.training_, seed=11, n_estimators=40)
    other = train(trained.training_, seed=12, n_estimators=40)
    assert artefact.model_version(again) == artefact.model_version(trained) != artefact.model_version(other)


def _rewrite(directory, **changes):
    path = directory / "metadata.json"
    metadata = json.loads(path.read_text())
    metadata.update(changes)
    path.write_text(json.dumps(metadata))


def test_refuses_other_sklearn_major(saved):
    _rewrite(saved, sklearn_version="0.24.2")
    with pytest.raises(ArtefactError, match="scikit-learn"):
        load(saved)


def test_warns_on_other_sklearn_minor(saved):
    import sklearn

    major = sklearn.__version__.split(".")[0]
    _rewrite(saved, sklearn_version=f"{major}.0.0")
    with pytest.warns(RuntimeWarning, match="scikit-learn"):
        load(saved)


def test_refuses_other_features_format_or_corrupt_model(saved, tmp_path):
    pristine = tmp_path / "pristine"
    shutil.copytree(saved, pristine)
    _rewrite(saved, feature_names=list(FEATURE_NAMES[:-1]))
    with pytest.raises(ArtefactError, match="feature"):
        load(saved)
    _rewrite(saved, feature_names=list(FEATURE_NAMES), format=99)
    with pytest.raises(ArtefactError, match="format"):
        load(saved)
    (pristine / "model.joblib").write_bytes(b"not a model")
    with pytest.raises(ArtefactError, match="checksum"):
        load(pristine)
    with pytest.raises(ArtefactError):
        load(tmp_path / "nowhere")


def test_model_without_training_data_saves_too(tmp_path):
    model = AnomalyModel(n_estimators=10, random_state=0).fit(matrix(seed=1, rows=100), FEATURE_NAMES)
    metadata = save(model, tmp_path / "bare")
    loaded, _ = load(tmp_path / "bare")
    assert metadata["parties"] is None
    assert np.array_equal(loaded.score_many(matrix(seed=2, rows=10)), model.score_many(matrix(seed=2, rows=10)))


def test_shipped_default_artefact_loads_and_is_small():
    metadata = read_metadata()
    model, _ = load()
    assert metadata["feature_names"] == list(FEATURE_NAMES)
    size = sum(p.stat().st_size for p in artefact.DEFAULT_ARTEFACT.iterdir() if p.is_file())
    assert size < 1_000_000
    assert 0 < model.score(np.zeros(len(FEATURE_NAMES))) < 1

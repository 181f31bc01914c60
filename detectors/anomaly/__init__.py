"""Behaviour anomalies: parties acting unlike anyone in the training data.

Pure logic (no Kafka, no Faust); file I/O only in ``artefact.save``/``artefact.load``.

==================  ==============================================================
``features``        ``PartyFeatures``: per-party 30/90/365-day behaviour, incremental,
                    bounded, JSON state; ``FEATURE_NAMES`` is the row layout
``model``           ``AnomalyModel``: isolation forest on log/robust-scaled rows,
                    ``score`` (0..1) and ``explain`` (occlusion)
``artefact``        versioned directory (``model.joblib`` + ``metadata.json``);
                    the shipped default lives in ``data/``
``train``           events -> engine records -> per-party snapshots -> model;
                    ``train_command`` backs ``chokepoint train``
``detector``        ``AnomalyDetector`` (``name = "anomaly"``), findings
                    ``anomaly.isolation@1``, severity low or medium only
==================  ==============================================================
"""

from detectors.anomaly.artefact import ArtefactError, load, save
from detectors.anomaly.detector import AnomalyDetector
from detectors.anomaly.features import FEATURE_NAMES, PartyFeatures
from detectors.anomaly.model import AnomalyModel
from detectors.anomaly.train import train, train_command

__all__ = [
    "AnomalyDetector",
    "AnomalyModel",
    "PartyFeatures",
    "FEATURE_NAMES",
    "ArtefactError",
    "load",
    "save",
    "train",
    "train_command",
]

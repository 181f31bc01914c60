"""Kafka wiring: settings, topics, the embedded broker, the Faust worker and the CLI.

Detection logic lives in ``detectors`` and knows nothing of Kafka; this package moves
bytes between topics and those pure functions.
"""

"""Pure detection logic; no Kafka, no Faust."""

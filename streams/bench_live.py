"""``chokepoint bench live``: the live worker on the embedded broker, measured.

* **Backlog drain**: the same simulated backlog is drained by a pass-through Faust agent
  and by one worker with every detector on, in one run; events/s of each and the ratio.
  Timed from the first event consumed to the last event processed by every shard, so
  group-join time (half the session timeout on this broker) is not counted.
* **Restart**: a new process joins the one worker's group once it has drained the backlog
  and has nothing new to read; it rebuilds each of its five shards from the detection
  topic, as after a crash or a deploy. The row is the history rebuilt per second of the
  rebuilds (``chokepoint_shard_rebuild_seconds``), the time a restart costs before the
  worker handles anything new.
* **Scale-out**: the same backlog drained again by two workers in one consumer group
  (they split the input partitions and the five detector families); the speed-up over
  one worker.
* **Latency**: a worker that is caught up, the simulator publishing at a steady rate;
  for every alert message, the time from publishing the event that completed it to
  receiving the alert, p50 and p99. The worker names that event in a header
  (``StepResult.latency_from``): the newest evidence event, or for an alert completed by
  an event outside its evidence (a new list entry, a licence grace period running out)
  the earliest event of the step that raised it, which can only overstate the latency.
* **The broker's share**: the same paced publishing with no worker, a plain consumer on
  the input topics; p99 of one hop. An event crosses three such hops before its alert
  is read (input topic, detection topic, alerts topic), so this row says how much of the
  latency is the broker's. On the embedded broker it grows with the number of record
  batches in a partition, which is why every producer lingers (``kafka.linger_ms``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from detectors.registry import FAMILIES
from streams.bench import BenchResult

__all__ = ["bench_live"]

COMMAND = "chokepoint bench live"


def _stats(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats/", timeout=2) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return {}


def _spawn(module: list[str], bootstrap: str, port: int, log: Path, app_id: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHOKEPOINT_")}
    env.update(
        CHOKEPOINT_KAFKA__BOOTSTRAP_SERVERS=bootstrap,
        CHOKEPOINT_WORKER__APP_ID=app_id or f"bench-{uuid.uuid4().hex[:6]}",
        CHOKEPOINT_WORKER__WEB_PORT=str(port),
        CHOKEPOINT_WORKER__DATA_DIR=str(log.parent / "faust-{conf.name}"),
    )
    return subprocess.Popen([sys.executable, "-m", *module], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _merged(stats: list[dict]) -> dict:
    """Several workers' ``/stats/`` as one: counts add up, each shard reports from its holder."""
    events = sum(sum(one.get("events", {}).values()) for one in stats)
    shards: dict[str, float] = {}
    for one in stats:
        for family, processed in one.get("shards", {}).items():
            shards[family] = max(shards.get(family, 0.0), processed)
    return {"consumed": events, "shards": shards, "events": {"all": sum(one.get("events", {}).get("all", 0) for one in stats)}}


def _drain(processes: list[subprocess.Popen], ports: list[int], done, timeout_s: float = 1800) -> float:
    """Seconds from the first event consumed (by any of the processes) to ``done(merged stats)``."""
    first = None
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in processes):
                raise RuntimeError("benchmark process died")
            stats = _merged([_stats(port) for port in ports])
            now = time.monotonic()
            if stats["consumed"] and first is None:
                first = now
            if first is not None and done(stats):
                return now - first
            time.sleep(0.1)
        raise TimeoutError("drain did not finish")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(60)


def _workers(count: int, bootstrap: str, work: Path, name: str, app_id: str | None = None) -> tuple[list[subprocess.Popen], list[int]]:
    """``count`` worker processes in one consumer group (a new one unless ``app_id`` is given)."""
    from streams.broker.embedded import free_port

    app_id = app_id or f"bench-{uuid.uuid4().hex[:6]}"
    ports = [free_port() for _ in range(count)]
    processes = [_spawn(["streams.cli", "worker"], bootstrap, port, work / f"{name}-{i}.log", app_id) for i, port in enumerate(ports)]
    return processes, ports


def _metric_by_family(port: int, name: str) -> dict[str, float]:
    """The samples called ``name`` in a worker's ``/metrics``, by their ``family`` label."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return {}
    return {
        sample.labels["family"]: sample.value
        for metric in text_string_to_metric_families(text)
        for sample in metric.samples
        if sample.name == name and "family" in sample.labels
    }


def _restart(bootstrap: str, work: Path, app_id: str, timeout_s: float = 1800) -> float:
    """Seconds a new worker in group ``app_id`` spends rebuilding all of its shards from the
    detection topic (the sum of ``chokepoint_shard_rebuild_seconds``), the group having
    consumed everything already. Its input partitions, read to their end, are announced
    idle on the detection topic, and that first message makes each shard rebuild. The
    drained worker stopped gracefully (Faust commits on the way out), so each shard
    rebuilds the whole log; the worker's log names the offsets ("caught up over offsets")."""
    processes, ports = _workers(1, bootstrap, work, "restart", app_id)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if processes[0].poll() is not None:
                raise RuntimeError("benchmark process died")
            rebuilt = _metric_by_family(ports[0], "chokepoint_shard_rebuilds_total")
            if len(rebuilt) >= len(FAMILIES) and min(rebuilt.values()) >= 1:
                return sum(_metric_by_family(ports[0], "chokepoint_shard_rebuild_seconds_sum").values())
            time.sleep(0.2)
        raise TimeoutError("restart did not rebuild every shard")
    finally:
        processes[0].terminate()
        processes[0].wait(60)


def bench_live(
    events: int = 20_000, repeat: int = 2, seed: int = 1, rates: tuple[float, ...] = (250.0, 1000.0), seconds: float = 30.0
) -> list[BenchResult]:
    from streams.broker import EmbeddedBroker, ensure_topics
    from streams.broker.embedded import free_port
    from streams.publish import publish_events
    from streams.settings import load_settings
    from streams.simulate import SimulationConfig, simulate
    from streams.topics import contract_topics

    simulated = list(simulate(SimulationConfig(seed=seed, target_events=events)).events)
    count = len(simulated)
    # the latency runs publish for ``seconds`` at every rate: enough events for the fastest
    needed = int(max(rates) * seconds)
    paced = simulated if count >= needed else list(simulate(SimulationConfig(seed=seed, target_events=needed)).events)
    passthrough_rates, worker_rates, ratios, two_rates, speedups, restart_rates = [], [], [], [], [], []
    hop_p99s: list[float] = []
    p50s: dict[float, list[float]] = {r: [] for r in rates}
    p99s: dict[float, list[float]] = {r: [] for r in rates}
    with tempfile.TemporaryDirectory(prefix="chokepoint-bench-live-") as tmp:
        work = Path(tmp)
        for _ in range(repeat):
            with EmbeddedBroker(port=0, log_path=work / "tansu.log") as broker:
                settings = load_settings(kafka={"bootstrap_servers": broker.bootstrap_servers})
                ensure_topics(settings.kafka, contract_topics(settings), broker.bootstrap_servers)
                publish_events(simulated, settings)
                port = free_port()
                process = _spawn(["streams.worker.passthrough"], broker.bootstrap_servers, port, work / "passthrough.log")
                passthrough_s = _drain([process], [port], lambda s: s["events"]["all"] >= count)
                all_shards_done = lambda s: len(s["shards"]) >= len(FAMILIES) and min(s["shards"].values()) >= count  # noqa: E731
                app_id = f"bench-{uuid.uuid4().hex[:6]}"
                worker_s = _drain(*_workers(1, broker.bootstrap_servers, work, "worker", app_id), all_shards_done)
                restart_s = _restart(broker.bootstrap_servers, work, app_id)
                two_s = _drain(*_workers(2, broker.bootstrap_servers, work, "pair"), all_shards_done)
            passthrough_rates.append(count / passthrough_s)
            worker_rates.append(count / worker_s)
            ratios.append(100.0 * passthrough_s / worker_s)
            restart_rates.append(count / restart_s)
            two_rates.append(count / two_s)
            speedups.append(worker_s / two_s)
            hop_p99s.append(_broker_hop(paced, max(rates), seconds, work) * 1000)
            for rate in rates:
                p50, p99 = _latency(paced, rate, seconds, work)
                p50s[rate].append(p50 * 1000)
                p99s[rate].append(p99 * 1000)
    size = f"{count:,} events"
    results = [
        BenchResult(f"pass-through Faust agent, backlog drain, {size}", "events/s", tuple(passthrough_rates), None, COMMAND),
        BenchResult(f"live worker, all detectors, backlog drain, {size}", "events/s", tuple(worker_rates), None, COMMAND),
        BenchResult("live worker / pass-through agent, same run", "%", tuple(ratios), 80.0, COMMAND),
        BenchResult(
            f"live worker restart: its five shards rebuilt from the detection topic, {size} of history", "events/s", tuple(restart_rates), None, COMMAND
        ),
        BenchResult(f"two live workers, all detectors, backlog drain, {size}", "events/s", tuple(two_rates), None, COMMAND),
        BenchResult("scale-out: two workers / one worker, same backlog, same run", "x", tuple(speedups), 1.6, COMMAND),
    ]
    for rate in rates:
        target = 200.0 if rate == 1000.0 else None  # the performance issue's target is set at 1,000 events/s
        during = f"at {rate:,.0f} events/s for {seconds:.0f} s"
        results.append(BenchResult(f"live latency publish-to-alert p50 {during}", "ms", tuple(p50s[rate]), None, COMMAND))
        results.append(BenchResult(f"live latency publish-to-alert p99 {during}", "ms", tuple(p99s[rate]), target, COMMAND, at_most=True))
    results.append(
        BenchResult(f"embedded broker alone, one hop publish-to-consume p99 at {max(rates):,.0f} events/s for {seconds:.0f} s "
                    "(the worker's path has three)", "ms", tuple(hop_p99s), None, COMMAND)
    )
    return results


def _broker_hop(paced: list[dict], rate: float, seconds: float, work: Path) -> float:
    """p99 seconds from publishing an event to a plain consumer receiving it, no worker:
    what one of the worker's three broker hops (input, detection topic, alerts) costs."""
    from streams.broker import EmbeddedBroker, ensure_topics
    from streams.publish import publish_events
    from streams.settings import load_settings
    from streams.topics import INPUT_TOPICS, contract_topics

    sample = paced[: int(rate * seconds)]
    published_at: dict[str, float] = {}
    with EmbeddedBroker(port=0, log_path=work / "tansu-hop.log") as broker:
        settings = load_settings(kafka={"bootstrap_servers": broker.bootstrap_servers})
        ensure_topics(settings.kafka, contract_topics(settings), broker.bootstrap_servers)
        with _Receiver(broker.bootstrap_servers, INPUT_TOPICS, by_header=False) as receiver:
            publish_events(_stamped(sample, published_at), settings, rate=rate)
            time.sleep(2)
    delays = [at - published_at[event_id] for at, event_id in receiver.received if event_id in published_at]
    if not delays:
        raise RuntimeError("nothing consumed during the broker hop run")
    return _quantile(sorted(delays), 0.99)


class _Receiver:
    """A plain consumer in a process of its own, noting when each message arrives and
    which event it names (the alert header ``LATENCY_FROM_HEADER``, or an input event's
    ``event_id``). Apart from the publisher: a consumer thread beside it shared its
    interpreter lock and was held up by it for up to 0.2 s, overstating latency."""

    def __init__(self, bootstrap: str, topics: tuple[str, ...] | list[str], *, by_header: bool) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")  # before any Kafka client of this process exists
        self._stop = context.Event()
        self._ready = context.Event()
        self._results = context.Queue()
        self._process = context.Process(
            target=_receive, args=(bootstrap, list(topics), by_header, self._ready, self._stop, self._results), daemon=True
        )
        self.received: list[tuple[float, str]] = []

    def __enter__(self) -> _Receiver:
        self._process.start()
        if not self._ready.wait(60):
            raise RuntimeError("the measuring consumer did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.received = self._results.get(timeout=60)
        self._process.join(30)


def _receive(bootstrap: str, topics: list[str], by_header: bool, ready, stop, results) -> None:  # pragma: no cover - child
    from kafka import KafkaConsumer, TopicPartition

    from streams.worker.detect import LATENCY_FROM_HEADER

    # a short fetch wait, so the measuring consumer adds no wait of its own (see streams.worker.consumer)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=20)
    consumer.assign([TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or {0})])
    received: list[tuple[float, str]] = []
    ready.set()
    while not stop.is_set():
        for records in consumer.poll(50).values():
            now = time.time()
            for record in records:
                if by_header:
                    origin = dict(record.headers or ()).get(LATENCY_FROM_HEADER)
                    if origin is not None:  # no header: republished after a catch-up, not raised
                        received.append((now, origin.decode()))
                else:
                    event_id = json.loads(record.value).get("event_id")
                    if event_id is not None:
                        received.append((now, event_id))
    consumer.close()
    results.put(received)


def _stamped(sample: list[dict], published_at: dict[str, float]):
    """``sample``, noting when each event is handed to the publisher."""
    for event in sample:
        published_at[event["event_id"]] = time.time()
        yield event


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _until_processed(port: int, count: int, timeout_s: float = 300.0) -> None:
    """Wait until every shard of the worker on ``port`` has processed ``count`` events.

    A fixed wait after publishing (it was 10 s) cut off the alerts of a worker that had
    fallen further behind than that, which understated p99 exactly when it was worst, and
    made a worker that keeps up wait for nothing.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        shards = _stats(port).get("shards", {})
        if len(shards) >= len(FAMILIES) and min(shards.values()) >= count:
            return
        time.sleep(0.2)
    print(f"  latency run: the worker had not processed {count:,} events after {timeout_s:.0f} s; p99 counts what arrived", flush=True)


def _latency(simulated: list[dict], rate: float, seconds: float, work: Path) -> tuple[float, float]:
    from streams.broker import EmbeddedBroker, ensure_topics
    from streams.broker.embedded import free_port
    from streams.publish import publish_events
    from streams.settings import load_settings
    from streams.topics import ALERTS, contract_topics

    sample = simulated[: int(rate * seconds)]
    published_at: dict[str, float] = {}
    with EmbeddedBroker(port=0, log_path=work / "tansu-latency.log") as broker:
        settings = load_settings(kafka={"bootstrap_servers": broker.bootstrap_servers})
        ensure_topics(settings.kafka, contract_topics(settings), broker.bootstrap_servers)
        port = free_port()
        process = _spawn(["streams.cli", "worker"], broker.bootstrap_servers, port, work / "worker-latency.log")
        try:
            with _Receiver(broker.bootstrap_servers, (ALERTS,), by_header=True) as receiver:
                deadline = time.monotonic() + 120
                while not _stats(port).get("shards") and time.monotonic() < deadline:
                    time.sleep(0.5)  # ready: shards exist once the group has settled
                time.sleep(2)
                publish_events(_stamped(sample, published_at), settings, rate=rate)
                _until_processed(port, len(sample))
                time.sleep(1)  # the last alerts, delivered before their events count as processed, reach the receiver
        finally:
            process.terminate()
            process.wait(60)
    # for each alert, from publishing the event that completed it to receiving the alert
    latencies = sorted(now - published_at[origin] for now, origin in receiver.received if origin in published_at)
    if not latencies:
        raise RuntimeError("no alerts during the latency run")
    return _quantile(latencies, 0.5), _quantile(latencies, 0.99)

"""``chokepoint``: one command line for the broker, the worker, the simulator and the demo.

Every subcommand reads the same ``Settings`` (``--config FILE``, ``CHOKEPOINT_*``
environment variables). Heavy imports happen inside the subcommand that needs them so
that ``chokepoint --help`` stays instant.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from streams.settings import Settings, load_settings

__all__ = ["main", "build_parser"]


def _wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM; both mean "stop cleanly"."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def cmd_broker(settings: Settings, args: argparse.Namespace) -> int:
    from streams.broker import kafka_connection

    if not settings.kafka.embedded:
        print(f"external Kafka configured ({settings.kafka.bootstrap_servers}): nothing embedded to start.")
        with kafka_connection(settings):
            print("contract topics are in place." if settings.kafka.create_topics else "topic creation is off.")
        return 0
    with kafka_connection(settings, log_path=args.log) as bootstrap:
        print(f"embedded broker ready on {bootstrap} with the contract topics; Ctrl-C to stop.", flush=True)
        _wait_for_signal()
    print("broker stopped.")
    return 0


def cmd_topics(settings: Settings, args: argparse.Namespace) -> int:
    from streams.broker.admin import admin_client, describe_topics, ensure_topics
    from streams.topics import contract_topics

    specs = contract_topics(settings)
    bootstrap = settings.bootstrap_servers()
    if args.create:
        created = ensure_topics(settings.kafka, specs, bootstrap)
        print(f"created: {', '.join(created) or 'none (all present)'}")
    admin = admin_client(settings.kafka, bootstrap)
    try:
        for name, found in describe_topics(admin, [s.name for s in specs]).items():
            config = " ".join(f"{k}={v}" for k, v in sorted(found["config"].items()))
            print(f"{name:22} partitions={found['partitions']:<3} {config}")
    finally:
        admin.close()
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from streams.worker import run_worker

    if args.web_port is not None:
        settings.worker.web_port = args.web_port
    run_worker(settings, settings.bootstrap_servers())
    return 0


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from streams.simulate import SimulationConfig, simulate, write_jsonl, write_parquet, write_truth

    config = SimulationConfig(seed=args.seed, months=args.months, target_events=args.events)
    started = time.perf_counter()
    simulation = simulate(config)
    if args.truth:
        write_truth(simulation.truth, args.truth)
    if args.kafka:
        from streams.publish import publish_events

        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        stats = publish_events(
            simulation.events,
            settings,
            rate=args.rate,
            junk_ratio=args.junk_ratio,
            seed=args.seed,
            should_stop=stopping.is_set,
        )
        print(f"published {stats.sent} events ({stats.junk} junk) to {settings.bootstrap_servers()}")
        return 0
    if args.out is None:
        print("give --out FILE (.jsonl, .jsonl.gz or .parquet) or --kafka", file=sys.stderr)
        return 2
    suffixes = "".join(args.out.suffixes[-2:])
    if args.out.suffix == ".parquet":
        count = write_parquet(simulation.events, args.out)
    elif suffixes in (".jsonl", ".jsonl.gz") or args.out.suffix in (".jsonl", ".gz"):
        count = write_jsonl(simulation.events, args.out)
    else:
        print(f"unknown output format {args.out}: use .jsonl, .jsonl.gz or .parquet", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    print(f"wrote {count} events to {args.out} in {elapsed:.1f}s ({count / elapsed:,.0f} events/s)")
    if args.truth:
        print(f"ground truth: {args.truth} ({len(simulation.truth['cases'])} injected cases)")
    return 0


def cmd_validate(settings: Settings, args: argparse.Namespace) -> int:
    """Check JSON Lines files against the contract; a producer's first debugging tool."""
    import gzip

    from schemas import ValidationError, decode

    bad = total = 0
    for path in args.files:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                total += 1
                result = decode(line.rstrip(b"\r\n"))
                if isinstance(result, ValidationError):
                    bad += 1
                    if bad <= args.show:
                        print(f"{path}:{number}: {result.error}")
                        for error in result.errors[1:]:
                            print(f"    {error.field or '<message>'}: {error.message}")
    print(f"{total - bad} valid, {bad} invalid of {total}")
    return 1 if bad else 0


def _timestamp(value: str):
    import datetime as dt

    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _recipe(args: argparse.Namespace):
    """The replay engine of ``args``: every default detector; ``--model`` swaps the anomaly
    artefact, ``--thresholds`` the thresholds file, ``--no-anomaly`` leaves the model out."""
    from streams.replay.parallel import EngineRecipe

    return EngineRecipe(model=args.model, thresholds=args.thresholds, anomaly=not args.no_anomaly)


def _engine(args: argparse.Namespace):
    return _recipe(args).build()


def cmd_publish(settings: Settings, args: argparse.Namespace) -> int:
    """Replay history files into the input topics, in event-time order, paced."""
    import msgspec
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from streams.broker import kafka_connection
    from streams.publish import PublishStats, publish_events
    from streams.replay import read_events

    console = Console(stderr=True)
    missing = [p for p in args.inputs if not p.exists()]
    if missing:
        console.print(f"no such input: {', '.join(map(str, missing))}")
        return 2
    if args.rate and args.speed:
        console.print("give --rate or --speed, not both")
        return 2
    data = read_events(args.inputs)
    if data.deadletters:
        console.print(f"{len(data.deadletters):,} invalid records are not published (`chokepoint validate` shows why)")
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    stats = PublishStats()
    events = data.events
    progress = Progress(TextColumn("publish"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console)
    task = progress.add_task("events", total=len(events))

    def dicts():
        for start in range(0, len(events), 1000):
            for event in events[start : start + 1000]:
                yield msgspec.to_builtins(event)
            progress.update(task, completed=stats.sent)

    with kafka_connection(settings) as bootstrap, progress:
        publish_events(
            dicts(), settings, bootstrap_servers=bootstrap, rate=args.rate, speed=args.speed, should_stop=stopping.is_set, stats=stats
        )
        progress.update(task, completed=stats.sent)
    by_topic = ", ".join(f"{n:,} to {t}" for t, n in sorted(stats.by_topic.items()))
    console.print(f"published {stats.sent:,} events ({by_topic})")
    return 0 if not stopping.is_set() else 130


def cmd_watch(settings: Settings, args: argparse.Namespace) -> int:
    from rich.console import Console

    from streams.watch import parse_filter, watch

    console = Console()
    try:
        alert_filter = parse_filter(args.severity, args.typology or (), args.country or (), args.party)
    except ValueError as exc:
        console.print(f"chokepoint watch: {exc}")
        return 2
    bootstrap = settings.bootstrap_servers()  # in development: the demo's or `chokepoint broker`'s
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    console.print(f"watching alerts.v1 on {bootstrap} ({'from the beginning' if args.from_beginning else 'new alerts'}); Ctrl-C to stop")
    shown = watch(
        settings,
        bootstrap,
        alert_filter,
        from_beginning=args.from_beginning,
        emit=console.print,
        should_stop=stopping.is_set,
        idle_exit_s=args.exit_after_idle,
    )
    console.print(f"{shown:,} alerts shown")
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from schemas import encode
    from streams.replay import read_events, replay_files, summary_tables, write_report

    console = Console(stderr=True)
    if bool(args.inputs) == bool(args.from_kafka):
        console.print("chokepoint replay: give input files, or --from-kafka (not both)")
        return 2
    if args.jobs < 1 or (args.jobs > 1 and args.from_kafka):
        console.print("chokepoint replay: --jobs is a number of processes (1 or more), for input files")
        return 2
    missing = [p for p in args.inputs if not p.exists()]
    if missing:
        console.print(f"no such input: {', '.join(map(str, missing))}")
        return 2
    try:
        engine = _engine(args)
    except (OSError, ValueError) as exc:  # ArtefactError is a ValueError; so is a bad TOML file
        console.print(f"chokepoint replay: {exc}")
        return 2
    progress = Progress(
        TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console, transient=True
    )
    task = progress.add_task("events", total=None)
    with progress:
        if args.from_kafka:
            result = _replay_from_kafka(settings, args, engine, progress, task)
        elif args.jobs > 1:
            from streams.replay.parallel import replay_files_parallel

            progress.update(task, total=None)
            try:
                result = replay_files_parallel(
                    args.inputs,
                    _recipe(args),
                    args.jobs,
                    since=args.since,
                    until=args.until,
                    entity=args.entity,
                    batch_size=args.batch_size,
                    on_batch=lambda n: progress.advance(task, n),
                )
            except RuntimeError as exc:
                console.print(f"chokepoint replay: {exc}")
                return 1
        else:
            spare = [engine]  # the one built above (which reported any error), then fresh ones
            result = replay_files(
                args.inputs,
                since=args.since,
                until=args.until,
                entity=args.entity,
                batch_size=args.batch_size,
                engine=lambda: spare.pop() if spare else _engine(args),
                on_read=lambda n: progress.update(task, total=n),
                on_batch=lambda n: progress.advance(task, n),
            )
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:
        for alert in result.alerts:
            handle.write(encode(alert) + b"\n")
    deadletter_path = args.deadletter or out.with_name(out.stem + ".deadletter.jsonl")
    if result.deadletters:
        with open(deadletter_path, "wb") as handle:
            for letter in result.deadletters:
                handle.write(encode(letter) + b"\n")
    if args.report:
        # several processes keep their events to themselves: read them again for the report
        events = read_events(args.inputs, since=args.since, until=args.until).events if args.jobs > 1 else result.events
        write_report(args.report, result.alerts, events)
    for table in summary_tables(result.alerts):
        console.print(table)
    rate = result.valid / result.seconds if result.seconds else 0.0
    console.print(
        f"{result.read:,} records read, {result.valid:,} valid, {len(result.deadletters):,} invalid"
        + (f" (see {deadletter_path})" if result.deadletters else "")
        + f", {result.duplicates:,} duplicates dropped; {len(result.alerts):,} alerts -> {out}"
        + (f"; report -> {args.report}" if args.report else "")
        + f"; {result.seconds:.1f}s ({rate:,.0f} events/s)"
    )
    return 0


def _replay_from_kafka(settings: Settings, args: argparse.Namespace, engine, progress, task):
    import time

    from streams.replay import replay_input
    from streams.replay.kafka import iter_topic_messages
    from streams.replay.reader import read_records

    # The configured cluster; in development, the embedded broker a running demo or
    # `chokepoint broker` listens on (replay never starts one: it would be empty).
    started = time.perf_counter()
    data = read_records(iter_topic_messages(settings, settings.bootstrap_servers()), since=args.since, until=args.until)
    return replay_input(
        data,
        started,
        entity=args.entity,
        batch_size=args.batch_size,
        engine=engine,
        on_read=lambda n: progress.update(task, total=n),
        on_batch=lambda n: progress.advance(task, n),
    )


def cmd_evaluate(settings: Settings, args: argparse.Namespace) -> int:
    import json

    import msgspec
    from rich.console import Console
    from rich.table import Table

    from detectors.evaluation import evaluate
    from schemas import Alert

    truth = json.loads(args.truth.read_text())
    decoder = msgspec.json.Decoder(Alert)
    alerts = [decoder.decode(line) for line in args.alerts.read_bytes().splitlines() if line.strip()]
    result = evaluate(truth, alerts)
    table = Table(title=f"evaluation of {args.alerts} against {args.truth}")
    for column in ("typology", "cases", "detected", "recall", "alerts", "precision", "median hours to detect"):
        table.add_column(column, justify="left" if column == "typology" else "right")

    def fmt(value: float | None, pattern: str = "{:.2f}") -> str:
        return "-" if value is None else pattern.format(value)

    for name, score in sorted(result.typologies.items()):
        table.add_row(
            name, str(score.cases), str(score.detected), fmt(score.recall), str(score.alerts), fmt(score.precision), fmt(score.median_detect_hours, "{:.1f}")
        )
    table.add_row("overall", str(len(result.cases)), str(sum(c.detected for c in result.cases)), fmt(sum(c.detected for c in result.cases) / len(result.cases) if result.cases else None), str(result.alerts), fmt(result.precision), "")
    console = Console()
    console.print(table)
    console.print(f"medium-or-higher alerts on legitimate look-alikes: {len(result.lookalike_alerts)}")
    for case in result.missed():
        console.print(f"  missed {case.case_id} ({case.typology}/{case.pattern})")
    if args.json:
        args.json.write_text(json.dumps(result.to_dict(), indent=2))
    return 0


def cmd_train(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from detectors.anomaly import train_command

    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        print(f"chokepoint train: no such input: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        metadata = train_command(args.inputs or None, args.simulate_seed, args.out, args.seed, target_events=args.events)
    except ValueError as exc:  # both or neither source, or too little history to train on
        print(f"chokepoint train: {exc}", file=sys.stderr)
        return 2
    shown = ("model_version", "trained_at", "parties", "events", "snapshots", "contamination_threshold")
    print(json.dumps({key: metadata[key] for key in shown}, indent=2))
    print(f"model -> {args.out} (use it with: chokepoint replay --model {args.out} ...)")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from streams.demo import run_demo

    return run_demo(
        settings, rate=args.rate, seed=args.seed, duration_s=args.duration, config_file=args.config, prometheus_port=args.prometheus_port
    )


def _bench_memory(args: argparse.Namespace) -> int:
    """Replay ``--input`` (or ``--events`` simulated ones) and print what holds the memory."""
    import tempfile

    from streams.bench_memory import memory_report, replay_footprints

    missing = [str(p) for p in args.input or () if not p.exists()]
    if missing:
        print(f"chokepoint bench memory: no such input: {', '.join(missing)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.input
        if not paths:
            from streams.simulate import SimulationConfig, simulate, write_jsonl

            paths = [Path(tmp) / "sim.jsonl"]
            write_jsonl(simulate(SimulationConfig(seed=1, target_events=args.events or 100_000)).events, paths[0])
        events, invalid, footprints = replay_footprints(paths)
    print(memory_report(events, footprints, invalid=invalid))
    return 0


def cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    from streams.bench import SUITES, machine, run_benchmarks

    if args.guard:
        from streams import bench_guard

        measured = bench_guard.measure()
        for name, (what, _) in bench_guard.GUARDS.items():
            print(f"{what}: {measured[name]:,.0f} events/s")
        print(f"plain Python, none of chokepoint's code (the machine's speed): {measured[bench_guard.MACHINE]:,.0f} operations/s")
        if args.record:
            bench_guard.record(measured, machine())
            print(f"recorded -> {bench_guard.BASELINE_PATH}")
            return 0
        problems = bench_guard.collapsed(measured, bench_guard.load_baseline())
        for problem in problems:
            print(f"COLLAPSE {problem}", file=sys.stderr)
        return 1 if problems else 0
    if args.suites == ["memory"]:
        return _bench_memory(args)
    unknown = [name for name in args.suites if name not in SUITES]
    if unknown:
        print(f"chokepoint bench: unknown suite {', '.join(unknown)}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    results = run_benchmarks(args.suites, events=args.events, repeat=args.repeat)
    seconds = time.perf_counter() - started
    print(f"{len(results)} rows in {seconds / 60:.1f} minutes")
    if args.write is not None:
        from streams.bench import write_results

        write_results(args.write, results, seconds=seconds)
        print(f"table written -> {args.write}")
    return 1 if any(r.passed is False for r in results) and args.strict else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chokepoint", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="TOML settings file (default: $CHOKEPOINT_CONFIG or ./chokepoint.toml)")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("broker", help="run the embedded Kafka-compatible broker with the contract topics")
    p.add_argument("--port", type=int, help="listen port (default from settings: 19092)")
    p.add_argument("--log", type=Path, help="write the broker's own log here")
    p.set_defaults(func=cmd_broker)

    p = sub.add_parser("topics", help="show (and with --create, create) the contract topics")
    p.add_argument("--create", action="store_true")
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("worker", help="run one Faust worker; start more to share the work")
    p.add_argument("--web-port", type=int, help="health, readiness and /metrics port (default 6066)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("simulate", help="generate a realistic world and its trade, with injected cases")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--events", type=int, default=100_000, help="approximate number of events")
    p.add_argument("--out", type=Path, help="output file: .jsonl, .jsonl.gz or .parquet")
    p.add_argument("--truth", type=Path, help="write the ground truth (injected cases) here")
    p.add_argument("--kafka", action="store_true", help="publish into the input topics instead of a file")
    p.add_argument("--rate", type=float, help="events per second when publishing (default: as fast as possible)")
    p.add_argument("--junk-ratio", type=float, default=0.0, help="mix in this share of malformed messages")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("validate", help="check JSON Lines files against contract v1")
    p.add_argument("files", type=Path, nargs="+")
    p.add_argument("--show", type=int, default=20, help="print at most this many invalid lines")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("replay", help="run the detectors over history files (JSON Lines, .gz, Parquet)")
    p.add_argument("inputs", type=Path, nargs="*")
    p.add_argument("--from-kafka", action="store_true", help="read the input topics of the configured cluster instead of files")
    p.add_argument("--out", type=Path, default=Path("alerts.jsonl"), help="alerts as JSON Lines (default alerts.jsonl)")
    p.add_argument("--entity", help="keep alerts involving this entity_id (detectors still see everything)")
    p.add_argument("--since", type=_timestamp, help="ignore trade events before this time (RFC 3339)")
    p.add_argument("--until", type=_timestamp, help="ignore events after this time (RFC 3339)")
    p.add_argument("--report", type=Path, help="write a self-contained HTML investigation report")
    p.add_argument("--deadletter", type=Path, help="invalid input with reasons (default: next to --out)")
    p.add_argument("--batch-size", type=int, default=10_000, help="micro-batch size; results do not depend on it")
    p.add_argument(
        "--jobs", type=int, default=1,
        help="processes: the detector families are dealt out to them (up to 5); the same alerts, sooner on several cores",
    )
    p.add_argument("--model", type=Path, help="anomaly model directory from `chokepoint train` (default: the shipped one)")
    p.add_argument("--no-anomaly", action="store_true", help="rule detectors only")
    p.add_argument("--thresholds", type=Path, help="thresholds TOML (default: detectors/data/thresholds.toml)")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("publish", help="publish history files into the input topics in event-time order, paced")
    p.add_argument("inputs", type=Path, nargs="+", help="JSON Lines (.jsonl, .gz) or Parquet files")
    p.add_argument("--rate", type=float, help="events per second")
    p.add_argument("--speed", type=float, help="event-time seconds per second (86400: a day per second)")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("watch", help="a live feed of alerts.v1, filtered")
    p.add_argument("--severity", default="low", help="minimum severity: low, medium, high, critical")
    p.add_argument("--typology", action="append", help="only this typology (repeatable)")
    p.add_argument("--country", action="append", help="subject or related party in this country (ISO code; repeatable)")
    p.add_argument("--party", help="a party whose name or entity_id contains this")
    p.add_argument("--from-beginning", action="store_true", help="show the alerts already in the topic too")
    p.add_argument("--exit-after-idle", type=float, help=argparse.SUPPRESS)  # for scripts and tests
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("train", help="train the anomaly model on history files or a simulation")
    p.add_argument("inputs", type=Path, nargs="*", help="JSON Lines / Parquet event files")
    p.add_argument("--simulate-seed", type=int, help="train on a fresh simulation with this seed instead")
    p.add_argument("--events", type=int, default=100_000, help="simulation size when --simulate-seed is given")
    p.add_argument("--seed", type=int, default=0, help="model random_state; same data and seed, same model")
    p.add_argument("--out", type=Path, required=True, help="artefact directory (model.joblib + metadata.json)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score alerts against a ground-truth file")
    p.add_argument("--truth", type=Path, required=True)
    p.add_argument("--alerts", type=Path, required=True)
    p.add_argument("--json", type=Path, help="also write the scores as JSON")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("demo", help="embedded broker + worker + simulator publishing, with a live summary")
    p.add_argument("--rate", type=float, default=200.0, help="events per second")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: until Ctrl-C)")
    p.add_argument("--prometheus-port", type=int, default=9090, help="where the demo's Prometheus listens (another if taken)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("bench", help="run benchmarks and print rows for BENCHMARKS.md")
    # No argparse `choices` here: with nargs="*" it rejects the empty default (bpo-9625).
    p.add_argument("suites", nargs="*", metavar="SUITE",
                   help="decode, simulate, replay, scaling, state, live (default: all); or memory alone: what holds "
                        "a replay's memory, structure by structure (a diagnostic, not in the default set)")
    p.add_argument("--input", type=Path, nargs="+", metavar="FILE", help="memory: replay these files, not simulated events")
    p.add_argument("--events", type=int, help="events per run (suite default if absent)")
    p.add_argument("--repeat", type=int, help="runs per row; min/median/max are reported")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--write", type=Path, metavar="FILE", help="rewrite this run's table in FILE (BENCHMARKS.md)")
    p.add_argument("--guard", action="store_true", help="the short regression guard: exit 1 on a 5x collapse only")
    p.add_argument("--record", action="store_true", help="with --guard: record this machine's results as the baseline")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config)
    except (FileNotFoundError, ValueError) as exc:
        print(f"chokepoint: bad settings: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "port", None) is not None:
        settings.embedded.port = args.port
    try:
        return int(args.func(settings, args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one readable line for operators; -v for the trace
        if args.verbose:
            raise
        print(f"chokepoint {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The README's first command: the demo starts everything, shows counts, and stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest

from streams.broker.embedded import free_port
from tests.streams.conftest import CLI

pytestmark = pytest.mark.integration


def _descendants(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, frontier = set(), [pid]
    while frontier:
        for child in children.get(frontier.pop(), []):
            found.add(child)
            frontier.append(child)
    return found


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except FileNotFoundError:
        return ""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_demo_runs_the_live_path_and_ctrl_c_stops_everything(isolated_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHOKEPOINT_")}
    env.update(CHOKEPOINT_EMBEDDED__PORT=str(free_port()), CHOKEPOINT_WORKER__WEB_PORT=str(free_port()), COLUMNS="200")
    demo = subprocess.Popen(
        [*CLI, "demo", "--rate", "400", "--prometheus-port", str(free_port())],
        env=env, cwd=isolated_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            lines.append(line)
            if "worker ready" in line or not line:
                break
        assert any("worker ready" in line for line in lines), "".join(lines)
        processes = _descendants(demo.pid)
        assert len(processes) >= 3, "broker and two workers run as child processes"
        time.sleep(12)
        processes |= _descendants(demo.pid)  # Prometheus starts once the workers are ready
        assert "prometheus" in {_command(pid) for pid in processes}
        demo.send_signal(signal.SIGINT)
        output = "".join(lines) + demo.stdout.read()
        assert demo.wait(60) == 0, output
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert "broker stopped" in output
    valid = [int(n.replace(",", "")) for n in re.findall(r"worker: valid \w+ on [\w.]+\W+([\d,]+)", output)]
    assert sum(valid) > 100, output
    assert re.search(r"dead-lettered \w+ from", output), output
    assert not [pid for pid in processes if _alive(pid)], "no process left behind"
    assert (isolated_env / "var" / "demo" / "worker-2.log").exists()
    alerts = [int(n.replace(",", "")) for n in re.findall(r"alerts: \w+\W+([\d,]+)", output)]
    assert sum(alerts) > 0, output
    # `make test` installs Debian's Prometheus, so the demo runs it and says where
    assert re.search(r"Prometheus: http://127\.0\.0\.1:\d+", output), output
    assert "Prometheus alerts firing" in output and "Prometheus stopped." in output

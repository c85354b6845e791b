"""Processes started by the bench: pinned to a core, tracked by PID, always stopped (even on failure)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

SERVER_CORE = 0
CLIENT_CORE = 1

_started: dict[int, subprocess.Popen[bytes]] = {}
_cleanups: list[Callable[[], None]] = []


def pinning_available() -> bool:
    return hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2 and _taskset() is not None


def _taskset() -> str | None:
    from shutil import which

    return which("taskset")


def pinned(core: int, cmd: Sequence[str]) -> list[str]:
    """``cmd`` prefixed with ``taskset -c core`` when the machine has two cores to split."""
    if pinning_available():
        return ["taskset", "-c", str(core), *cmd]
    return list(cmd)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    cmd: Sequence[str], *, log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a long-running process in its own session (so its children go with it), tracked by PID."""
    fh = log.open("ab")
    proc = subprocess.Popen(list(cmd), stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
    fh.close()
    _started[proc.pid] = proc
    return proc


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop one process we started (SIGTERM to its own process group, then SIGKILL)."""
    _started.pop(proc.pid, None)
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def on_cleanup(fn: Callable[[], None]) -> None:
    _cleanups.append(fn)


def cleanup_all() -> None:
    """Stop every process still tracked and run the registered cleanups (newest first)."""
    for proc in list(_started.values()):
        with contextlib.suppress(Exception):
            stop(proc)
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as exc:  # keep cleaning the rest
            print(f"cleanup failed: {exc}", file=sys.stderr)


def install_signal_handlers() -> None:
    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def wait_http(
    port: int, path: str, proc: subprocess.Popen[bytes], *, timeout: float = 90, log: Path | None = None
) -> None:
    """Wait until ``GET path`` answers 200 on 127.0.0.1:port (fail fast if the process died)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode} before answering:\n{tail}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server on port {port} not ready after {timeout} s")
        time.sleep(0.1)


def get_status(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def run_json(
    cmd: Sequence[str], *, timeout: float = 1800, env: dict[str, str] | None = None, cwd: Path | None = None
) -> str:
    """Run a short-lived command to completion and return its stdout (stderr shown on failure)."""
    proc = subprocess.Popen(
        list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True
    )
    _started[proc.pid] = proc
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        stop(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    return out.decode()

"""HTTP load generation: wrk (installed with apt-get when missing and possible) or the asyncio fallback.

Both produce the same result dict: requests, seconds, rps, p50/p90/p99 (ms), errors (socket errors +
non-2xx/3xx responses). The load generator runs pinned to the client core.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import procs

READ_LUA = r"""
local ids = {}
local prefix = "/fhir/Location/"
init = function(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  math.randomseed(tonumber(args[2]) or 1)
end
request = function()
  return wrk.format("GET", prefix .. ids[math.random(#ids)], {["Accept"] = "application/fhir+json"})
end
"""

CREATE_LUA = r"""
local bodies = {}
local i = 0
local headers = {["Content-Type"] = "application/fhir+json", ["Accept"] = "application/fhir+json"}
init = function(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/fhir/Location", headers, bodies[i])
end
"""

DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p90_us\": %d, \"p99_us\": %d, " ..
    "\"mean_us\": %.1f, \"connect\": %d, \"read\": %d, \"write\": %d, \"status\": %d, \"timeout\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def find_wrk(*, install: bool = True) -> str | None:
    """Locate wrk; on Debian/Ubuntu as root, install the ``wrk`` package when it is missing."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        try:
            subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, env=env, timeout=300)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True, env=env, timeout=300
            )
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"could not install wrk ({exc}); using the asyncio client", file=sys.stderr)
    return shutil.which("wrk")


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0].split(" Copyright")[0].strip() if text else "wrk"


class LoadClient:
    """Runs one load test against 127.0.0.1:port from the client core."""

    def __init__(self, workdir: Path, wrk: str | None) -> None:
        self.workdir = workdir
        self.wrk = wrk
        self.name = wrk_version(wrk) if wrk else "bench.pyload (asyncio, uvloop)"
        if wrk:
            (workdir / "read.lua").write_text(READ_LUA + DONE_LUA)
            (workdir / "create.lua").write_text(CREATE_LUA + DONE_LUA)

    def read(self, port: int, ids_file: Path, *, connections: int, seconds: float, seed: int = 1) -> dict[str, Any]:
        load1 = os.getloadavg()[0]
        if self.wrk:
            r = self._wrk(port, "read.lua", [str(ids_file), str(seed)], connections, seconds)
        else:
            r = self._py(port, ["--ids", str(ids_file), "--seed", str(seed)], connections, seconds)
        return {**r, "loadavg1_before": load1}

    def create(self, port: int, bodies_file: Path, *, connections: int, seconds: float) -> dict[str, Any]:
        load1 = os.getloadavg()[0]
        if self.wrk:
            r = self._wrk(port, "create.lua", [str(bodies_file)], connections, seconds)
        else:
            r = self._py(port, ["--post", str(bodies_file)], connections, seconds)
        return {**r, "loadavg1_before": load1}

    def _wrk(self, port: int, script: str, args: list[str], connections: int, seconds: float) -> dict[str, Any]:
        assert self.wrk is not None
        threads = "1"
        cmd = [
            self.wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(self.workdir / script),
            f"http://127.0.0.1:{port}",
            "--",
            *args,
        ]
        out = procs.run_json(procs.pinned(procs.CLIENT_CORE, cmd), timeout=seconds + 60)
        m = re.search(r"^BENCHJSON (\{.*\})$", out, re.MULTILINE)
        if not m:
            raise RuntimeError(f"unexpected wrk output:\n{out}")
        raw = json.loads(m.group(1))
        secs = raw["duration_us"] / 1e6
        return {
            "requests": raw["requests"],
            "seconds": round(secs, 3),
            "rps": round(raw["requests"] / secs, 1),
            "p50_ms": raw["p50_us"] / 1000,
            "p90_ms": raw["p90_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000,
            "mean_ms": round(raw["mean_us"] / 1000, 3),
            "errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
            "non_2xx": raw["status"],
            "connections": connections,
            "client": "wrk",
        }

    def _py(self, port: int, args: list[str], connections: int, seconds: float) -> dict[str, Any]:
        cmd = [
            sys.executable,
            "-m",
            "bench.pyload",
            "--port",
            str(port),
            "--connections",
            str(connections),
            "--seconds",
            str(seconds),
            *args,
        ]
        out = procs.run_json(procs.pinned(procs.CLIENT_CORE, cmd), timeout=seconds + 60)
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result

"""Fallback HTTP/1.1 keep-alive load client (asyncio + uvloop) used when wrk is unavailable.

``python -m bench.pyload --port P --connections C --seconds S (--ids FILE | --post FILE)`` prints one
JSON line shaped like the wrk result. ``--serve-raw PORT`` runs a minimal asyncio server answering a
fixed 4 KB body: loading it measures this client's own ceiling (reported next to the results,
since a Python client saturates long before wrk does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path


async def _connection(
    port: int, requests: list[bytes] | None, ids: list[str] | None, seed: int, stop_at: float, lat: list[float]
) -> tuple[int, int, int]:
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = errors = non2xx = 0
    i = seed
    try:
        while time.perf_counter() < stop_at:
            if ids is not None:
                req = (
                    f"GET /fhir/Location/{ids[rng.randrange(len(ids))]} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Accept: application/fhir+json\r\n\r\n"
                ).encode()
            else:
                assert requests is not None
                req = requests[i % len(requests)]
                i += 1
            t0 = time.perf_counter()
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            done += 1
            if not 200 <= status < 400:
                non2xx += 1
    except (OSError, asyncio.IncompleteReadError):
        errors += 1
    finally:
        writer.close()
    return done, errors, non2xx


async def load(args: argparse.Namespace) -> dict[str, object]:
    ids = Path(args.ids).read_text().split() if args.ids else None
    requests = None
    if args.post:
        requests = []
        for body in Path(args.post).read_bytes().splitlines():
            head = (
                f"POST /fhir/Location HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\n"
                f"Accept: application/fhir+json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            requests.append(head + body)
    lat: list[float] = []
    start = time.perf_counter()
    stop_at = start + args.seconds
    tasks = [_connection(args.port, requests, ids, args.seed + c, stop_at, lat) for c in range(args.connections)]
    results = await asyncio.gather(*tasks)
    secs = time.perf_counter() - start
    lat.sort()

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(len(lat) * p / 100))] * 1000, 3) if lat else 0.0

    n = sum(r[0] for r in results)
    return {
        "requests": n,
        "seconds": round(secs, 3),
        "rps": round(n / secs, 1),
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "mean_ms": round(sum(lat) / len(lat) * 1000, 3) if lat else 0.0,
        "errors": sum(r[1] for r in results),
        "non_2xx": sum(r[2] for r in results),
        "connections": args.connections,
        "client": "bench.pyload",
    }


async def serve_raw(port: int) -> None:
    body = b'{"resourceType":"Location","id":"x","name":"' + b"x" * 4000 + b'"}'
    response = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/fhir+json\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(response)
        except (OSError, asyncio.IncompleteReadError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--ids")
    ap.add_argument("--post")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--serve-raw", type=int)
    args = ap.parse_args()
    try:
        from uvloop import run
    except ImportError:
        from asyncio import run
    if args.serve_raw:
        run(serve_raw(args.serve_raw))
        return
    print(json.dumps(run(load(args))))


if __name__ == "__main__":
    main()

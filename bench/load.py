"""A closed-loop HTTP/1.1 load generator: `concurrency` keep-alive connections, each sending its
next request as soon as the last answer is read, for `warmup` seconds (discarded) and then
`duration` seconds (measured). Requests are drawn from the spec's list with a seeded random
stream. It runs as its own process pinned to one core, and prints its figures as JSON.

Written here rather than taken from wrk because a fresh machine has PyPI, not Debian's
packages; with uvloop it costs about 30 µs of its own core per request, far below the servers'.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any

MAX_OVERTIME = 120.0  # seconds a run may go past its duration to get its first answers


@dataclass
class Tally:
    measuring: bool = False
    latencies: list[float] = field(default_factory=list)
    non_2xx: int = 0
    errors: int = 0
    enough_at: int = 1
    enough: asyncio.Event = field(default_factory=asyncio.Event)


def _request(method: str, path: str, body: str | None, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    payload = body.encode() if body is not None else b""
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _connection(
    spec: dict[str, Any], requests: list[bytes], rng: random.Random, tally: Tally, stop_at: float
) -> None:
    reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
    try:
        while time.perf_counter() < stop_at:
            request = requests[rng.randrange(len(requests))]
            started = time.perf_counter()
            writer.write(request)
            try:
                status = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                tally.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
                continue
            if tally.measuring:
                tally.latencies.append(time.perf_counter() - started)
                if len(tally.latencies) >= tally.enough_at:
                    tally.enough.set()
                if not 200 <= status < 300:
                    tally.non_2xx += 1
    finally:
        writer.close()


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    rng = random.Random(spec.get("seed", 1))
    headers = spec.get("headers", {})
    requests = [_request(method, path, body, headers | own) for method, path, body, own in spec["requests"]]
    tally = Tally(enough_at=spec["concurrency"])
    warmup, duration = spec["warmup"], spec["duration"]
    begin = time.perf_counter()
    stop_at = begin + warmup + duration + MAX_OVERTIME
    connections = [
        asyncio.create_task(_connection(spec, requests, random.Random(rng.random()), tally, stop_at))
        for _ in range(spec["concurrency"])
    ]
    await asyncio.sleep(warmup)
    tally.measuring = True
    measured_from = time.perf_counter()
    # Answers still outstanding at the end are dropped, so a slow stack cannot stretch the run
    # much: past `duration`, it goes on only until each connection has had one answer's worth.
    await asyncio.wait(connections, timeout=duration)
    if len(tally.latencies) < tally.enough_at:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tally.enough.wait(), MAX_OVERTIME)
    tally.measuring = False
    elapsed = time.perf_counter() - measured_from
    for connection in connections:
        connection.cancel()
    await asyncio.gather(*connections, return_exceptions=True)
    latencies = sorted(tally.latencies)
    count = len(latencies)

    def percentile(share: float) -> float | None:
        return latencies[min(count - 1, int(share * count))] * 1000 if count else None

    return {
        "requests": count,
        "seconds": round(elapsed, 3),
        "rps": round(count / elapsed, 1) if count else None,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "non_2xx": tally.non_2xx,
        "errors": tally.errors,
    }


def main() -> None:
    spec = json.loads(sys.stdin.read())
    if spec.get("core") is not None:
        os.sched_setaffinity(0, {spec["core"]})
    import uvloop  # uvicorn[standard] brings it

    print(json.dumps(uvloop.run(run(spec))))


if __name__ == "__main__":
    main()

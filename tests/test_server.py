"""The real thing: `instrumenta serve` as `make run` starts it, over HTTP, on its own embedded
PostgreSQL. Ctrl-C or SIGTERM stops server and database; data survives a restart."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.core.settings import Settings
from app.main import create_app

ADMIN_PASSWORD = "admin password for the server test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(data_dir: Path, port: int) -> Iterator[tuple[httpx.Client, subprocess.Popen[str]]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INSTRUMENTA_JWT_SECRET")}
    env |= {"INSTRUMENTA_DATA_DIR": str(data_dir), "PORT": str(port), "INSTRUMENTA_ADMIN_PASSWORD": ADMIN_PASSWORD}
    process = subprocess.Popen(  # noqa: S603 (our own entry point, fixed arguments)
        [str(Path(sys.executable).parent / "instrumenta"), "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else "server exited"
            try:
                if client.get("/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)
        yield client, process
    finally:
        client.close()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            process.wait(timeout=30)


def _login(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_serve_over_http_stop_cleanly_and_keep_data(tmp_path: Path) -> None:
    port = _free_port()
    with serving(tmp_path, port) as (client, process):
        assert client.get("/health/live").json() == {"status": "ok"}
        assert client.get("/openapi.json").json()["info"]["title"] == "Instrumenta"
        assert "swagger-ui" in client.get("/docs").text
        assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
        amazonas = client.get("/api/v1/municipalities", params={"uf": "AM", "limit": 200}).json()
        assert len(amazonas["items"]) == 62
        admin = _login(client, "admin@instrumenta.local", ADMIN_PASSWORD)
        created = client.post(
            "/api/v1/users",
            json={
                "email": "planejamento@example.org",
                "name": "Planejamento",
                "password": "a long password",
                "role": "gestor",
                "municipality": "1302603",
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    assert not (tmp_path / "postgres" / "postmaster.pid").exists(), "the embedded database is still running"

    with serving(tmp_path, port) as (client, process):
        gestor = _login(client, "planejamento@example.org", "a long password")
        assert client.get("/api/v1/auth/me", headers=gestor).json()["municipality_code"] == "1302603"
        process.send_signal(signal.SIGTERM)  # what systemd and `docker stop` send
        assert process.wait(timeout=30) == 0
    assert not (tmp_path / "postgres" / "postmaster.pid").exists(), "SIGTERM left the embedded database running"


async def test_a_server_process_freezes_what_it_built_once_started(settings: Settings) -> None:
    """What was built to serve is frozen, so full collections during GraphQL answers skip it
    (app.main._tune_gc)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0

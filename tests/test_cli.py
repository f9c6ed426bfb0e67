"""The `instrumenta` admin tasks, against a database of their own (they commit for real)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.cli import cli
from app.repositories.embedded import EmbeddedPostgres, create_database
from tests.test_territory_import import BROKEN_NAME, SAMPLE, quoted


@pytest.fixture(scope="module")
def cli_database(postgres_server: EmbeddedPostgres | None, database_url: str) -> str:
    if postgres_server is not None:
        return postgres_server.url("instrumenta_cli")
    url = make_url(os.environ["TEST_DATABASE_URL"])
    asyncio.run(create_database(url.set(database="postgres").render_as_string(False), "instrumenta_cli"))
    return url.set(database="instrumenta_cli").render_as_string(False)


@pytest.fixture
def run(cli_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", cli_database)
    monkeypatch.setenv("INSTRUMENTA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INSTRUMENTA_ADMIN_PASSWORD", "admin password for the cli test")
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), input=stdin)

    return invoke


def test_migrate_is_idempotent(run) -> None:  # type: ignore[no-untyped-def]
    first = run("migrate")
    assert first.exit_code == 0, first.output
    again = run("migrate")
    assert again.exit_code == 0
    assert "Loaded the IBGE territory" not in again.output


def test_import_territory_reports_broken_lines_then_imports(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = run("import-territory", str(SAMPLE), "--dry-run")
    assert broken.exit_code == 1
    assert broken.output.count(BROKEN_NAME) == 12
    fixed = tmp_path / "quoted.csv"
    fixed.write_bytes(quoted(SAMPLE.read_bytes()))
    dry = run("import-territory", str(fixed), "--dry-run", "--effective-on", "2019-01-01")
    assert dry.exit_code == 0, dry.output
    assert "Would import: 425 regions created" in dry.output


def test_create_user(run) -> None:  # type: ignore[no-untyped-def]
    person = run(
        "create-user",
        "--role",
        "gestor",
        "--name",
        "Planejamento",
        "--email",
        "cli@example.org",
        "--municipality",
        "1302603",
        stdin="a long password\na long password\n",
    )
    assert person.exit_code == 0, person.output
    assert "Created gestor cli@example.org" in person.output
    service = run("create-user", "--role", "ses", "--name", "Integração", "--service", "--uf", "AM")
    assert service.exit_code == 0, service.output
    assert "client_secret=" in service.output
    refused = run("create-user", "--role", "ses", "--name", "Sem UF", "--service")
    assert refused.exit_code == 1
    assert "bound to one UF" in refused.output

"""`instrumenta`: the admin tasks. With DATABASE_URL unset, every command uses the embedded
PostgreSQL under INSTRUMENTA_DATA_DIR, so data survives restarts."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Annotated, TypeVar

import typer
import uvicorn

from app.core.errors import DomainError
from app.core.principal import Principal, Role
from app.core.settings import Settings
from app.domain.bootstrap import bootstrap
from app.domain.territory_files import parse_datasus, parse_municipality_regions
from app.domain.territory_import import ImportRejected, TerritoryImportService
from app.domain.users import UserCreate, UserService
from app.repositories import Repositories
from app.repositories.database import Database
from app.repositories.embedded import EmbeddedPostgres
from app.repositories.migrations import upgrade

T = TypeVar("T")
EMBEDDED_DATABASE = "instrumenta"
# Tracebacks must never print local variables: they can hold passwords and secrets.
cli = typer.Typer(
    help="Instrumenta: planning instruments of the SUS, over REST.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@contextmanager
def _database(settings: Settings) -> Iterator[str]:
    """The configured database, or the embedded one (started now, stopped on exit)."""
    if settings.database_url is not None:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    try:
        yield embedded.url(EMBEDDED_DATABASE)
    finally:
        embedded.stop()


def _in_transaction(url: str, work: Callable[[Repositories], Awaitable[T]]) -> T:
    async def run() -> T:
        database = Database(url, pool_size=1)
        try:
            async with database.session() as session:
                result = await work(Repositories(session))
                await session.commit()
                return result
        finally:
            await database.dispose()

    return asyncio.run(run())


def _prepare(url: str, settings: Settings) -> None:
    upgrade(url)
    result = _in_transaction(url, lambda repositories: bootstrap(repositories, settings))
    if result.municipalities_added:
        typer.echo(f"Loaded the IBGE territory: {result.municipalities_added} municipalities.")
    if result.generated_password:
        typer.secho(
            f"Created admin {settings.admin_email} with password {result.generated_password}\n"
            "  (shown once; set INSTRUMENTA_ADMIN_PASSWORD to choose it)",
            fg=typer.colors.YELLOW,
        )


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Overrides HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides PORT.")] = None,
) -> None:
    """Migrate, load the territory, ensure the admin, and serve the API until Ctrl-C."""
    settings = Settings()
    # Uvicorn shuts down on SIGTERM (systemd, `docker stop`) and then raises it again, whose
    # default action would end the process before the embedded PostgreSQL is stopped: exit
    # instead, cleanly, as Ctrl-C does.
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    with _database(settings) as url:
        _prepare(url, settings)
        os.environ["DATABASE_URL"] = url
        bind_host, bind_port = host or settings.host, port or settings.port
        typer.echo(f"Instrumenta on http://{bind_host}:{bind_port}  (API docs: /docs)")
        uvicorn.run("app.main:create_app", factory=True, host=bind_host, port=bind_port, access_log=False)
    typer.echo("Stopped.")


def _exit_on_terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


@cli.command()
def migrate() -> None:
    """Apply every pending migration and load the reference territory."""
    settings = Settings()
    with _database(settings) as url:
        _prepare(url, settings)
    typer.echo("Database is up to date.")


@cli.command("create-user")
def create_user(
    role: Annotated[Role, typer.Option(help="Role from product.md §5.")],
    name: Annotated[str, typer.Option()],
    email: Annotated[str | None, typer.Option(help="A person's login.")] = None,
    service: Annotated[bool, typer.Option("--service", help="A service account (client credentials).")] = False,
    uf: Annotated[str | None, typer.Option()] = None,
    municipality: Annotated[str | None, typer.Option(help="IBGE code, 7 or 6 digits.")] = None,
    region: Annotated[list[str] | None, typer.Option(help="Health region code; repeat for several.")] = None,
) -> None:
    """Create an account. A person's password is asked for; a service account's secret is printed once."""
    password = None if service else typer.prompt("Password (12+ characters)", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(
            kind="service" if service else "person",
            email=email,
            name=name,
            password=password,
            role=role,
            uf=uf,
            municipality=municipality,
            regions=region or [],
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    settings = Settings()
    with _database(settings) as url:
        _prepare(url, settings)
        try:
            account = _in_transaction(url, lambda r: UserService(r).create(Principal.system(), data))
        except DomainError as exc:
            typer.secho(f"Refused: {exc.detail}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"Created {account.user.role} {account.user.email or account.user.client_id} ({account.user.id}).")
    if account.client_secret:
        typer.echo(f"client_id={account.user.client_id}\nclient_secret={account.client_secret}  (shown once)")


@cli.command("import-territory")
def import_territory(
    file: Annotated[Path | None, typer.Argument(help="One municipality per line (sample layout).")] = None,
    regions: Annotated[Path | None, typer.Option(help="DATASUS tb_regsaud.")] = None,
    memberships: Annotated[Path | None, typer.Option(help="DATASUS rl_municip_regsaud.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; write nothing.")] = False,
    effective_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD the membership takes effect.")] = None,
) -> None:
    """Import health regions and membership, all or nothing."""
    if file is not None:
        parsed = parse_municipality_regions(file.read_bytes(), file.name)
    elif regions is not None and memberships is not None:
        parsed = parse_datasus(regions.read_bytes(), memberships.read_bytes())
    else:
        raise typer.BadParameter("give FILE, or both --regions and --memberships")
    effective = date.fromisoformat(effective_on) if effective_on else None
    settings = Settings()
    with _database(settings) as url:
        _prepare(url, settings)
        try:
            report = _in_transaction(
                url,
                lambda r: TerritoryImportService(r).run(
                    Principal.system(), parsed, effective_on=effective, dry_run=dry_run
                ),
            )
        except ImportRejected as exc:
            for problem in exc.problems:
                typer.secho(f"{problem.file}:{problem.line}: {problem.reason}", fg=typer.colors.RED, err=True)
            typer.secho(exc.detail, fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from exc
    for warning in report.warnings:
        typer.echo(f"{warning.file}:{warning.line}: warning: {warning.reason}")
    verb = "Would import" if dry_run else "Imported"
    typer.echo(
        f"{verb}: {report.regions_created} regions created, {report.regions_updated} updated; "
        f"{report.memberships_created} memberships created, {report.memberships_moved} moved, "
        f"{report.memberships_unchanged} unchanged; {report.populations_updated} populations updated."
    )


@cli.command("graphql-schema")
def graphql_schema() -> None:
    """Print the GraphQL schema (SDL); `schema.graphql` in the repository is this output."""
    from app.api.graphql.schema import build_schema

    typer.echo(build_schema(Settings()).as_str())


def main() -> None:
    cli()

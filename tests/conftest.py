"""Shared fixtures: the repository's paths, a fresh study of the flagship protocol on each store backend,
and throw-away PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "protocols" / "warmth-competence-itch.yaml"
FLAGSHIP_EFFECTS = ROOT / "protocols" / "effects" / "warmth-competence-itch.yaml"

#: The server the PostgreSQL tests use (CI starts it in .ci/run); override with PLACEBOLAB_TEST_PG.
PG_SERVER = os.environ.get("PLACEBOLAB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _server_problem() -> str | None:
    try:
        import psycopg

        psycopg.connect(PG_SERVER, connect_timeout=3).close()
    except Exception as exc:  # any failure to reach the server means: no PostgreSQL here
        return f"no PostgreSQL server at {PG_SERVER}: {' '.join(str(exc).split())[:200]}"
    return None


_PROBLEM: list[str | None] = []


def require_postgres() -> None:
    """Skip (saying why) when no server is reachable; with CI=true, fail instead: CI must run them."""
    if not _PROBLEM:
        _PROBLEM.append(_server_problem())
    if _PROBLEM[0]:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{_PROBLEM[0]} (CI=true: the PostgreSQL tests must run; .ci/run starts the server)")
        pytest.skip(_PROBLEM[0])


@pytest.fixture
def pg_url():
    """A new, uniquely named database (dropped afterwards, with its experimenter role): parallel runs never meet."""
    require_postgres()
    import psycopg

    name = f"plbtest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    yield url
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for (role,) in admin.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (f"{name}%",)).fetchall():
            admin.execute(f'DROP ROLE "{role}"')


def station_folder(tmp_path: Path, pg_url: str, login: str) -> Path:
    """A station's study folder for the PostgreSQL study at ``pg_url``: its store URL logs in as a new login role
    (``<db>_<login>``) granted the study's experimenter role (dropped with the database by ``pg_url``)."""
    import psycopg

    from placebolab.store.postgres import experimenter_role
    from placebolab.study import CONFIG_NAME

    role = pg_url.rsplit("/", 1)[1] + "_" + login
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE "{experimenter_role(pg_url)}"')
    folder = tmp_path / "station"
    folder.mkdir()
    (folder / CONFIG_NAME).write_text(f'[store]\nurl = "{pg_url.replace("postgres@", f"{role}@")}"\n')
    return folder


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """Each store backend in turn: the store URL to init with (None: SQLite in the study folder)."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_url")


@pytest.fixture
def flagship_study(tmp_path, backend):
    """A freshly initialised study of the flagship protocol (seeded) on each backend, closed after the test."""
    from placebolab.study import Study

    study = Study.init(FLAGSHIP, tmp_path / "study", seed=12345, store_url=backend)
    yield study
    study.close()

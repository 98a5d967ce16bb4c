"""The baseline of bench_web: a bare Starlette endpoint that commits what one step of an online session
commits (a row of steps and its answers, one durable transaction: SQLite WAL with synchronous=FULL as the
study store, or PostgreSQL) and nothing else: no engine, no template, no signature, no log.

Run by uvicorn as ``_bare_web:app`` (factory) with ``BARE_DB`` = a SQLite file or a postgresql:// URL.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS bare_steps (participant TEXT, step_key TEXT, completed_at DOUBLE PRECISION, "
    "detail TEXT, PRIMARY KEY (participant, step_key))",
    "CREATE TABLE IF NOT EXISTS bare_responses (participant TEXT, step_key TEXT, item TEXT, value DOUBLE PRECISION, "
    "PRIMARY KEY (participant, step_key, item))",
]


def prepare(database: str) -> None:
    """Make the two tables (before the workers start)."""
    if database.startswith("postgresql"):
        import psycopg

        with psycopg.connect(database, autocommit=True) as db:
            for statement in SCHEMA:
                db.execute(statement)
        return
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    for statement in SCHEMA:
        db.execute(statement)
    db.close()


def app():
    database = os.environ["BARE_DB"]
    if database.startswith("postgresql"):
        import psycopg

        pg = psycopg.connect(database, autocommit=True)

        def commit(participant: str, key: str, detail: str, answers: list[tuple[str, float]]) -> None:
            with pg.transaction():
                pg.execute(
                    "INSERT INTO bare_steps VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (participant, key, time.time(), detail),
                )
                with pg.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO bare_responses VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        [(participant, key, item, value) for item, value in answers],
                    )
    else:
        db = sqlite3.connect(database, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")

        def commit(participant: str, key: str, detail: str, answers: list[tuple[str, float]]) -> None:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT OR IGNORE INTO bare_steps VALUES (?, ?, ?, ?)", (participant, key, time.time(), detail))
            db.executemany(
                "INSERT OR IGNORE INTO bare_responses VALUES (?, ?, ?, ?)",
                [(participant, key, item, value) for item, value in answers],
            )
            db.execute("COMMIT")

    async def step(request: Request):
        form = await request.form()
        answers = [(name, float(value)) for name, value in form.items() if name.startswith("item-")]
        commit(request.path_params["participant"], str(form["key"]), json.dumps({"n": len(answers)}), answers)
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/b/{participant}/step", step, methods=["POST"])])

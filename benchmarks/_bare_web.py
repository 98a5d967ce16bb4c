"""The baselines of bench_web: bare Starlette endpoints that commit what one step of an online session commits
(a row of steps and its answers, one durable transaction: SQLite WAL with synchronous=FULL, each commit synced
before it returns, as a lab station's; or PostgreSQL) and nothing else: no engine, no template, no signature, no
log, no read of the session. (placebolab's server on SQLite syncs instead the commits of every response waiting
at once, frontends/web/synced.py: that is part of what is measured against this.)

``POST /b/{participant}/step``, the bare step: the commit, answered ``ok``. One request per step. The issue's
goal (placebolab ≤ 2× its time per step) is measured against it.

``POST /b/{participant}/answer``, the bare PRG step: the same commit, answered 303 to ``GET
/b/{participant}/page``, a fixed form of a few hundred bytes (``PAGE``). Two requests per step, as placebolab's
Post/Redirect/Get, which the issue requires (a reload or the back button never posts an answer twice). It
exists to measure the floor the two requests set: uvicorn and Starlette's work per request, which the bare
step pays once, placebolab twice whatever it does. Informational: the goal stays against the bare step.

Run by uvicorn as ``_bare_web:app`` (factory) with ``BARE_DB`` = a SQLite file or a postgresql:// URL.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS bare_steps (participant TEXT, step_key TEXT, completed_at DOUBLE PRECISION, "
    "detail TEXT, PRIMARY KEY (participant, step_key))",
    "CREATE TABLE IF NOT EXISTS bare_responses (participant TEXT, step_key TEXT, item TEXT, value DOUBLE PRECISION, "
    "PRIMARY KEY (participant, step_key, item))",
]


#: The bare PRG step's next page: a step's form (a hidden key, a question, three radio buttons, a button).
PAGE = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Step</title>'
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head>\n'
    '<body><main><form method="post" action="answer"><input type="hidden" name="key" value="next">'
    "<p>How much better would your headaches be in two weeks?</p>"
    '<label><input type="radio" name="item-a" value="0"> not at all</label>'
    '<label><input type="radio" name="item-a" value="50"> somewhat</label>'
    '<label><input type="radio" name="item-a" value="100"> completely</label>'
    '<button type="submit">Next</button></form></main></body></html>\n'
)


def prepare(database: str) -> None:
    """Make the two tables, empty (before the workers start: each baseline starts from none of the other's rows)."""
    statements = [*SCHEMA, "DELETE FROM bare_responses", "DELETE FROM bare_steps"]
    if database.startswith("postgresql"):
        import psycopg

        with psycopg.connect(database, autocommit=True) as db:
            for statement in statements:
                db.execute(statement)
        return
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    for statement in statements:
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

    async def committed(request: Request) -> None:
        """The step's INSERTs and COMMIT, from its form."""
        form = await request.form()
        answers = [(name, float(value)) for name, value in form.items() if name.startswith("item-")]
        commit(request.path_params["participant"], str(form["key"]), json.dumps({"n": len(answers)}), answers)

    async def step(request: Request):
        await committed(request)
        return PlainTextResponse("ok")

    async def answer(request: Request):
        await committed(request)
        return RedirectResponse(f"/b/{request.path_params['participant']}/page", 303)

    async def page(request: Request):
        return HTMLResponse(PAGE)

    return Starlette(
        routes=[
            Route("/b/{participant}/step", step, methods=["POST"]),
            Route("/b/{participant}/answer", answer, methods=["POST"]),
            Route("/b/{participant}/page", page),
        ]
    )

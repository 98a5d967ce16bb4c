"""The study store: SQLite by default, PostgreSQL for several rooms and sites; one interface (``Store``)."""

from placebolab.store.base import Store
from placebolab.store.records import Answer, Draft, Link, Participant, SessionState, Slot, StepRecord
from placebolab.store.sqlite import DB_NAME, SQLiteStore

__all__ = [
    "DB_NAME",
    "Answer",
    "Draft",
    "Link",
    "Participant",
    "SQLiteStore",
    "SessionState",
    "Slot",
    "StepRecord",
    "Store",
]

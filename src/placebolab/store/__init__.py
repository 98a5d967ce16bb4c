"""The study store: SQLite by default (PostgreSQL to come, with the same interface)."""

from placebolab.store.records import Answer, Participant, Slot, StepRecord
from placebolab.store.sqlite import DB_NAME, SQLiteStore

__all__ = ["DB_NAME", "Answer", "Participant", "SQLiteStore", "Slot", "StepRecord"]

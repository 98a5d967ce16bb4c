"""Export the store to tidy tables (see docs/tables.md)."""

from placebolab.export.tables import export_study, long_table, wide_table

__all__ = ["export_study", "long_table", "wide_table"]

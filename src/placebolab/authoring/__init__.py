"""Tools for the researcher writing a protocol: the preview of every cell, the JSON Schema, new protocols."""

"""Drill reports: the report model (JSON), its HTML page, and where reports are kept."""

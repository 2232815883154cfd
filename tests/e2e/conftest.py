"""End-to-end tests: the sandbox through its HTTP API and drsctl."""

from __future__ import annotations

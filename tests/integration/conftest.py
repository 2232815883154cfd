"""Integration tests: moto and the DRS simulator on 127.0.0.1. Fixture modules live beside this file
(imported here so every test module sees them)."""

from __future__ import annotations

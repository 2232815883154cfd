"""Shared code of the DRS Orchestrator functions: adapters, stores and lifecycle operations."""

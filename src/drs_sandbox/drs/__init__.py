"""The DRS simulator: AWS Elastic Disaster Recovery's API for the local sandbox and the tests."""

from drs_sandbox.drs.app import create_drs_app
from drs_sandbox.drs.errors import DrsApiError
from drs_sandbox.drs.model import DrsLimits, DrsSimulator

__all__ = ["DrsApiError", "DrsLimits", "DrsSimulator", "create_drs_app"]

"""The SSM simulator: Run Command on the DRS simulator's recovery instances, and Automation
executions, for the local sandbox and the tests."""

from drs_sandbox.ssm.app import create_ssm_app
from drs_sandbox.ssm.model import CommandTarget, SsmApiError, SsmSimulator

__all__ = ["CommandTarget", "SsmApiError", "SsmSimulator", "create_ssm_app"]

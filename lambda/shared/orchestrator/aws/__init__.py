"""The AWS wing: lazily created clients, the translation of AWS errors, the ports the operations
use (ports.py) and their adapters over DRS, EC2, Step Functions, Lambda, SSM and the users
directory, and the typed DynamoDB layer the stores build on. Nothing here knows about executions,
stores, operations, the API, notifications or reports."""

"""drsctl: the command line of DRS Orchestrator, over its REST API."""

"""`make demo` (`python -m drs_demo`): an operator's drill with drsctl against the local sandbox.

It stands above both: it starts the sandbox (drs_sandbox) and shows the drill with drsctl's client
and terminal views, which is why neither of them imports the other (docs/internals.md).
"""

"""The notification wing: a status change read from the executions stream (messages.py), the
e-mail rendering of it (email.py), its delivery on SNS and EventBridge (publisher.py) and the
execution metrics (metrics.py)."""

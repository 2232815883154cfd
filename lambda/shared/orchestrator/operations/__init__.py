"""Lifecycle operations. Step Functions calls them by ``operation``; the API calls the control ones."""

"""planbot: runs the quarterly progress cycle of an improvement plan in Slack."""

__version__ = "0.1.0"

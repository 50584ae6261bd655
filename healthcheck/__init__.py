"""Partnership Health Check: questionnaires, scoring and risk rules for music/care partnerships."""

__version__ = "0.1.0"

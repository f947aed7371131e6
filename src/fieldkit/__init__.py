"""fieldkit: an offline-first content library for field sales reps."""

__version__ = "0.1.0"

"""Incidents: the record of every takedown, from detection to review."""

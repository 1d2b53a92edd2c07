"""The local stack: Takedown on one machine with the same Lambda code."""

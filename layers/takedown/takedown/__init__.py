"""Takedown: the plain-Python library behind every Lambda function, the CLI and the local stack.

Nothing in here reads the environment or creates an AWS client at import time: handlers build
what they need once per cold start and pass it in.
"""

"""The `takedown` command: ops and developer tools over the Takedown library."""

"""The `takedown` command for ops: classify, incidents. Developer tooling is `takedown-local` (local/)."""

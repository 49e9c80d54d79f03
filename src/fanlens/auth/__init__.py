"""API tokens: workspace-scoped bearer tokens, stored as hashes, with a read or write scope."""

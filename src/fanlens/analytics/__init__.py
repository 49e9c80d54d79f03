"""Rollups, cohorts and retention over the interaction log."""

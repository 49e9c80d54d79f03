"""Outreach to super fans: segments, campaigns, channels, guards, an exactly-once outbox."""

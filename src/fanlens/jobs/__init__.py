"""Background jobs: a procrastinate app on fanlens's PostgreSQL, its tasks and schedule."""

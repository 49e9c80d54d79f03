"""Assembles the API and the dashboard into one app, and serves it in one or more processes."""

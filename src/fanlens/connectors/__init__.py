"""Connectors: accounts on social platforms, their streams, and the sync that stores them."""

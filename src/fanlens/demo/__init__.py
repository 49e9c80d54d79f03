"""The demo: a synthetic world and the command that fills a workspace from simulators."""

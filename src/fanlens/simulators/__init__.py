"""Local servers that speak each platform's official API, backed by a synthetic world.

One ASGI app per platform (``youtube``, ``bluesky``, ``mastodon``, ``instagram``,
``tiktok``); ``run.start_simulator`` serves
one on a free port for tests, ``fanlens simulate`` from the command line. Every app also has the
``/_sim/`` control endpoints (world, faults, state) described in README.md.
"""

PLATFORMS = ("youtube", "bluesky", "mastodon", "instagram", "tiktok")

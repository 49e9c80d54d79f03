"""Local servers that speak each platform's official API, backed by a synthetic world.

One ASGI app per platform (``youtube``, ``bluesky``, ``mastodon``, ``instagram``,
``tiktok``); ``run.start_simulator`` serves
one on a free port for tests, ``fanlens simulate`` from the command line. Every app also has the
``/_sim/`` control endpoints (world, faults, state) described in README.md.
"""

NAMES = {
    "youtube": "YouTube",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "instagram": "Instagram",
    "tiktok": "TikTok",
}
PLATFORMS = tuple(NAMES)


def named(platforms: tuple[str, ...] = PLATFORMS) -> str:
    """The platforms' names as a sentence says them: "YouTube, Bluesky … and TikTok"."""
    names = [NAMES[p] for p in platforms]
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)

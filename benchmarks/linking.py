"""Content linking benchmark: how long finding link candidates takes on a generated world.

Prints, for the world's posts (captions as generated, no database): the time to find automatic
link candidates (24 h, FANLENS_CONTENT_AUTO_LINK_CONFIDENCE's default) and grouping them, and
the time to find review suggestions' candidates (72 h, similarity 0.5), with the planted
cross-post pairs for comparison. That Python work runs after every import and sync.

    python -m benchmarks.linking --size large
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections import namedtuple

from fanlens.config import settings
from fanlens.content.linking import AUTO_WINDOW, MIN_SIMILARITY, WINDOW, _candidates, _groups
from fanlens.demo.generate import SIZES, generate_world

PostRow = namedtuple("PostRow", "id platform caption title posted_at content_id")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="large", choices=list(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    world = generate_world(args.size, args.seed)
    rows = sorted(
        (
            PostRow(uuid.uuid4(), p.platform, p.caption, None, p.posted_at, uuid.uuid4())
            for p in world.posts
        ),
        key=lambda r: (r.posted_at, str(r.id)),
    )
    confidence = settings.content_auto_link_confidence
    started = time.perf_counter()
    found = _candidates(rows, set(), window=AUTO_WINDOW, at_least=confidence)
    groups = _groups(found)
    auto = time.perf_counter() - started
    started = time.perf_counter()
    suggested = _candidates(rows, set(), window=WINDOW, at_least=MIN_SIMILARITY)
    review = time.perf_counter() - started
    print(
        f"{args.size} world: {len(rows):,} posts, {len(world.planted_links()):,} planted pairs\n"
        f"automatic: {len(found):,} candidate pairs in {len(groups):,} groups, {auto:.1f}s\n"
        f"suggestions: {len(suggested):,} candidate pairs, {review:.1f}s"
    )


if __name__ == "__main__":
    main()

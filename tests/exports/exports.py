"""Small platform exports built from the documented layouts, as folders or zips.

Each builder writes the files into a folder and returns what the export holds, so tests compare
what was stored with exactly what was written.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BASE = 1_714_000_000  # 2024-04-24: follow and post times count up from here


@dataclass
class Expected:
    followers: set[str] = field(default_factory=set)  # external_user_id
    follow_times: dict[str, str | None] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # external_post_id → fields
    rejects: int = 0


def mojibake(text: str) -> str:
    """How Instagram writes text: each UTF-8 byte as a \\u00XX code point."""
    return text.encode("utf-8").decode("latin-1")


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _write(root: Path, name: str, data: Any) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def zipped(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                archive.write(f, f.relative_to(folder).as_posix())
    return target


def instagram(root: Path, *, followers: int = 6, layout: str = "2024") -> Expected:
    """2024+: connections/… split in two parts, usernames in 'title'; ≤2023: 'value', wrapped."""
    exp = Expected()
    items = []
    for i in range(followers):
        name, ts = f"fan_{i}", BASE + i * 3600
        if layout == "2024" and i % 2:
            entry = {"href": f"https://www.instagram.com/_u/{name}", "timestamp": ts}
            items.append({"title": name, "string_list_data": [entry]})
        else:
            entry = {"href": f"https://www.instagram.com/{name}", "value": name, "timestamp": ts}
            items.append({"title": "", "media_list_data": [], "string_list_data": [entry]})
        exp.followers.add(name)
        exp.follow_times[name] = iso(ts)
    items.append({"title": "", "string_list_data": []})  # a broken entry: one reject
    exp.rejects = 1
    posts: list[dict[str, Any]] = [
        {
            "media": [
                {
                    "uri": "media/posts/1.jpg",
                    "creation_timestamp": BASE,
                    "title": mojibake("Sunset 🌅"),
                }
            ]
        },
        {
            "media": [{"uri": "media/posts/2.jpg"}, {"uri": "media/posts/3.jpg"}],
            "title": mojibake("Café carousel — شكرا"),
            "creation_timestamp": BASE + 86400,
        },
        {"media": [{"uri": "media/posts/4.jpg", "creation_timestamp": BASE + 2 * 86400}]},
    ]
    for p in posts:
        ts = p.get("creation_timestamp") or p["media"][0]["creation_timestamp"]
        title = p.get("title") or p["media"][0].get("title")
        exp.posts[f"export-{ts}"] = {
            "caption": title.encode("latin-1").decode("utf-8") if title else None,
            "posted_at": iso(ts),
        }
    if layout == "2024":
        half = len(items) // 2
        folder = "connections/followers_and_following"
        _write(root, f"{folder}/followers_1.json", items[:half])
        _write(root, f"{folder}/followers_2.json", items[half:])
        _write(root, f"{folder}/following.json", {"relationships_following": []})
        _write(root, "your_instagram_activity/media/posts_1.json", posts)
    else:
        _write(root, "followers_and_following/followers.json", {"relationships_followers": items})
        _write(root, "content/posts_1.json", posts)
    return exp


def tiktok(root: Path, *, fans: int = 5, layout: str = "2024") -> Expected:
    exp = Expected()
    fan_list: list[Any] = []
    for i in range(fans):
        name, when = f"tt_fan{i}", f"2024-03-0{i + 1} 10:00:0{i}"
        fan_list.append({"Date": when, "UserName": name})
        exp.followers.add(name)
        exp.follow_times[name] = when.replace(" ", "T") + "Z"
    fan_list.append({"Date": "yesterday", "UserName": "bad_date"})  # one reject
    exp.rejects = 1
    videos: list[dict[str, Any]] = [
        {
            "Date": "2024-05-01 18:00:00",
            "Link": "https://cdn.example/v1",
            "Likes": "1234",
            "Title": "first",
        },
        {"Date": "2024-05-02 18:00:00", "Link": "https://cdn.example/v2", "Likes": 56},
        {"Date": "2024-05-03 18:00:00", "Link": "https://cdn.example/v3"},
    ]
    for v in videos:
        likes = v.get("Likes")
        exp.posts["export-" + str(v["Date"]).replace(" ", "T") + "Z"] = {
            "likes": int(likes) if likes is not None else None,
            "caption": v.get("Title"),
        }
    if layout == "2024":
        data = {
            "Profile And Settings": {"Profile Info": {"ProfileMap": {"userName": "me"}}},
            "Your Activity": {"Follower": {"FansList": fan_list}, "Following": {"Following": []}},
            "Post": {"Posts": {"VideoList": videos}},
        }
        _write(root, "user_data_tiktok.json", data)
    else:
        data = {
            "Activity": {"Follower List": {"FansList": fan_list}, "Like List": {}},
            "Video": {"Videos": {"VideoList": videos}},
        }
        _write(root, "user_data.json", data)
    return exp


def x_archive(root: Path) -> Expected:
    exp = Expected()
    tweets: list[Any] = [
        {
            "tweet": {
                "id_str": "1001",
                "id": "1001",
                "created_at": "Wed Oct 10 20:19:24 +0000 2018",
                "full_text": "hello world 👋",
                "favorite_count": "5",
                "retweet_count": "1",
            }
        },
        {
            "tweet": {
                "id_str": "1002",
                "created_at": "Thu Oct 11 08:00:00 +0000 2018",
                "full_text": "@E a reply",
                "favorite_count": "2",
                "retweet_count": "0",
                "in_reply_to_status_id_str": "900",
                "in_reply_to_screen_name": "E",
            }
        },
        {
            "tweet": {
                "id_str": "1003",
                "created_at": "Fri Oct 12 08:00:00 +0000 2018",
                "full_text": "RT @other: not mine",
                "favorite_count": "0",
                "retweet_count": "0",
            }
        },
        {"tweet": {"id_str": "1004", "created_at": "not a date", "full_text": "x"}},  # reject
    ]
    exp.posts["1001"] = {"likes": 5, "shares": 1, "caption": "hello world 👋"}
    exp.posts["1002"] = {"likes": 2, "shares": 0, "caption": "@E a reply"}
    exp.rejects = 1
    part1 = [
        {
            "id_str": "1005",
            "created_at": "Sat Oct 13 08:00:00 +0000 2018",
            "full_text": "old style",
            "favorite_count": "7",
            "retweet_count": "3",
        }
    ]
    exp.posts["1005"] = {"likes": 7, "shares": 3, "caption": "old style"}
    followers = [
        {
            "follower": {
                "accountId": f"77{i}",
                "userLink": f"https://twitter.com/intent/user?user_id=77{i}",
            }
        }
        for i in range(3)
    ]
    for i in range(3):
        exp.followers.add(f"77{i}")
        exp.follow_times[f"77{i}"] = None
    _write(root, "data/tweets.js", "window.YTD.tweets.part0 = " + json.dumps(tweets, indent=2))
    _write(root, "data/tweets-part1.js", "window.YTD.tweets.part1 = " + json.dumps(part1) + ";")
    _write(root, "data/follower.js", "window.YTD.follower.part0 = " + json.dumps(followers))
    account = [{"account": {"accountId": "1", "username": "creator"}}]
    _write(root, "data/account.js", "window.YTD.account.part0 = " + json.dumps(account))
    return exp


def mastodon(root: Path) -> Expected:
    exp = Expected()
    me = "https://mastodon.example/users/me"
    items: list[Any] = []
    for i in range(3):
        sid = str(1100 + i)
        items.append(
            {
                "id": f"{me}/statuses/{sid}/activity",
                "type": "Create",
                "actor": me,
                "published": f"2023-01-0{i + 1}T12:00:00Z",
                "object": {
                    "id": f"{me}/statuses/{sid}",
                    "type": "Note",
                    "published": f"2023-01-0{i + 1}T12:00:00Z",
                    "url": f"https://mastodon.example/@me/{sid}",
                    "content": f"<p>hello &amp; welcome {i}</p>",
                },
            }
        )
        exp.posts[sid] = {
            "caption": f"hello & welcome {i}",
            "posted_at": f"2023-01-0{i + 1}T12:00:00Z",
        }
    items.append(
        {
            "id": f"{me}/statuses/1200/activity",
            "type": "Announce",
            "object": "https://other.example/users/x/statuses/9",
        }
    )
    items.append(
        {
            "id": f"{me}/statuses/1201/activity",
            "type": "Create",
            "object": {"id": f"{me}/statuses/1201", "published": "soon"},
        }
    )  # reject
    exp.rejects = 1
    outbox = {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": "outbox.json",
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }
    _write(root, "outbox.json", outbox)
    _write(root, "actor.json", {"type": "Person", "preferredUsername": "me"})
    rows = ["Account address,Show boosts", "alice@example.social,true", "bob@other.example,false"]
    _write(root, "followers.csv", "\n".join(rows) + "\n")
    _write(root, "following_accounts.csv", "Account address,Show boosts\nnotafan@x.example,true\n")
    for a in ("alice@example.social", "bob@other.example"):
        exp.followers.add(a)
        exp.follow_times[a] = None
    return exp


BUILDERS = {"instagram": instagram, "tiktok": tiktok, "x": x_archive, "mastodon": mastodon}

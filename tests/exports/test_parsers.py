"""Export layouts → sections and records, without a database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fanlens.exports.base import BadItem, LayoutError
from fanlens.exports.instagram import fix_text, follower_record
from fanlens.exports.service import read_sections
from fanlens.exports.tiktok import export_time
from fanlens.exports.x import x_time
from tests.exports.exports import BUILDERS, mojibake, zipped


def test_instagram_mojibake_is_undone_and_real_text_kept() -> None:
    assert fix_text(mojibake("Sunset 🌅 café")) == "Sunset 🌅 café"
    assert fix_text("already fine ✓") == "already fine ✓"
    assert fix_text("déjà") == "déjà"  # latin-1 text that is not UTF-8 bytes stays as it is


def test_instagram_follower_username_from_value_title_or_link() -> None:
    by_value = {"title": "", "string_list_data": [{"value": "a", "timestamp": 1}]}
    by_title = {"title": "b", "string_list_data": [{"href": "https://i/_u/b", "timestamp": 1}]}
    by_href = {"title": "", "string_list_data": [{"href": "https://www.instagram.com/c/"}]}
    assert follower_record(by_value)["user"]["external_user_id"] == "a"
    assert follower_record(by_title)["occurred_at"] == "1970-01-01T00:00:01Z"
    assert "occurred_at" not in follower_record(by_href)
    assert follower_record(by_href)["user"]["external_user_id"] == "c"


def test_times() -> None:
    assert x_time("Wed Oct 10 20:19:24 +0200 2018") == "2018-10-10T18:19:24Z"
    assert export_time("2021-11-11 01:22:22", "Date") == "2021-11-11T01:22:22Z"
    with pytest.raises(BadItem, match="'Date'"):
        export_time("11/11/2021", "Date")


@pytest.mark.parametrize("platform", sorted(BUILDERS))
def test_folder_and_zip_give_the_same_sections(platform: str, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    BUILDERS[platform](folder)
    archive = zipped(folder, tmp_path / "export.zip")
    from_folder = read_sections(platform=platform, path=str(folder))
    from_zip = read_sections(platform=platform, path=str(archive))
    assert [(s.file, len(s.items)) for s in from_folder] == [
        (s.file, len(s.items)) for s in from_zip
    ]
    assert sum(len(s.items) for s in from_zip) > 0


@pytest.mark.parametrize(
    ("platform", "name", "content", "expected"),
    [
        (
            "instagram",
            "connections/followers_and_following/followers_1.json",
            {"followers": []},
            "followers_1.json: expected a JSON array of followers",
        ),
        ("instagram", "readme.txt", "hi", "expected connections/followers_and_following"),
        ("instagram", "connections/followers_and_following/followers_1.html", "<html>", "HTML"),
        ("tiktok", "user_data_tiktok.json", {"Activity": {}}, "'Your Activity' → 'Follower'"),
        ("tiktok", "user_data_tiktok.json", [], "user_data_tiktok.json: expected a JSON object"),
        ("tiktok", "other.json", {}, "expected user_data_tiktok.json"),
        ("x", "data/tweets.js", "var tweets = []", "data/tweets.js: expected 'window.YTD.tweets"),
        ("x", "data/tweets.js", "window.YTD.tweets.part0 = [{", "a JSON array after the '='"),
        ("x", "data/like.js", "window.YTD.like.part0 = []", "expected data/tweets.js"),
        ("mastodon", "outbox.json", {"type": "Collection", "items": []}, "'orderedItems'"),
        ("mastodon", "followers.csv", "name,when\nalice,today\n", "'Account address'"),
        ("mastodon", "following_accounts.csv", "Account address\na@b.c\n", "outbox.json"),
    ],
)
def test_unknown_layout_names_the_file_and_the_field(
    platform: str, name: str, content: object, expected: str, tmp_path: Path
) -> None:
    path = tmp_path / "export" / name
    path.parent.mkdir(parents=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    with pytest.raises(LayoutError) as raised:
        read_sections(platform=platform, path=str(tmp_path / "export"))
    assert expected in raised.value.message
    assert "unknown or changed export layout" in raised.value.message


def test_unknown_platform_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="choose one of instagram, tiktok, x, mastodon"):
        read_sections(platform="myspace", path=str(tmp_path))
    with pytest.raises(Exception, match="no such file or folder"):
        read_sections(platform="x", path=str(tmp_path / "nope.zip"))


def test_a_mastodon_tar_gz_archive_and_single_files(tmp_path: Path) -> None:
    import tarfile

    folder = tmp_path / "archive"
    BUILDERS["mastodon"](folder)
    (folder / "media_attachments").mkdir()
    (folder / "media_attachments" / "x.png").write_bytes(b"\x89PNG")
    target = tmp_path / "archive-20240101-abc.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        tar.add(folder, arcname=".")
    from_tar = read_sections(platform="mastodon", path=str(target))
    assert [(s.file, len(s.items)) for s in from_tar] == [("outbox.json", 5), ("followers.csv", 2)]

    only_csv = read_sections(platform="mastodon", path=str(folder / "followers.csv"))
    assert [(s.file, len(s.items)) for s in only_csv] == [("followers.csv", 2)]
    BUILDERS["x"](tmp_path / "x")
    only_tweets = read_sections(platform="x", path=str(tmp_path / "x" / "data" / "tweets.js"))
    assert [(s.file, len(s.items)) for s in only_tweets] == [("tweets.js", 4)]

"""Profile lookups mapped to `Profile`: the parts the simulators do not vary."""

from __future__ import annotations

from fanlens.connectors import mastodon, youtube


def test_mastodon_links_are_field_links_then_bio_links_without_mentions_or_tags() -> None:
    note = (
        '<p>hi <span class="h-card"><a href="https://m.example/@ann" class="u-url mention">'
        '@<span>ann</span></a></span> <a href="https://m.example/tags/coffee" '
        'class="mention hashtag" rel="tag">#<span>coffee</span></a> '
        '<a href="https://shop.example/x?a=1&amp;b=2" rel="nofollow noopener">shop</a></p>'
    )
    account = {
        "id": "7",
        "acct": "fan@m.example",
        "note": note,
        "followers_count": 12,
        "fields": [
            {"name": "Site", "value": '<a href="https://fan.example/" rel="me">fan.example</a>'},
            {"name": "Old server", "value": "https://old.example/@fan"},  # not linkified
            {"name": "Pronouns", "value": "they/them"},
            {"name": "Again", "value": '<a href="https://shop.example/x?a=1&amp;b=2">shop</a>'},
        ],
    }
    profile = mastodon._profile(account)
    assert profile is not None
    assert profile.links == (
        "https://fan.example/",
        "https://old.example/@fan",
        "https://shop.example/x?a=1&b=2",
    )
    assert profile.bio == "hi @ann #coffee shop"
    assert (profile.follower_count, profile.verified, profile.username) == (
        12,
        None,
        "fan@m.example",
    )


def test_youtube_hidden_count_and_malformed_channel() -> None:
    channel = {
        "id": "UCa",
        "snippet": {
            "title": "A",
            "description": "",
            "customUrl": "@a",
            "thumbnails": {"default": {"url": "https://yt3.example/s88"}},
        },
        "statistics": {"hiddenSubscriberCount": True, "videoCount": "3"},
    }
    profile = youtube._profile(channel)
    assert profile is not None
    assert (profile.follower_count, profile.bio, profile.username) == (None, None, "a")
    assert profile.avatar_url == "https://yt3.example/s88" and profile.verified is None
    assert youtube._profile({"id": "UCb", "statistics": "malformed"}) is None
    assert youtube._profile({**channel, "statistics": {"subscriberCount": "1230"}}) is not None

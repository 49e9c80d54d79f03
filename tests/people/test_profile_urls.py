"""Profile links: every spelling of one account gives its key; other accounts and posts do not."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from fanlens.people import service
from fanlens.people.profile_urls import ProfileKey, identity_keys, keys_in_text, profile_key
from tests.fixtures.builders import create_follower, create_workspace

SPELLINGS: dict[ProfileKey, list[str]] = {
    ProfileKey("instagram", "amy"): [
        "https://www.instagram.com/amy/",
        "https://instagram.com/amy",
        "http://www.Instagram.com/amy/?utm_source=x",
        "instagram.com/amy",
        "www.instagram.com/Amy?igshid=abc123",
        "HTTPS://INSTAGRAM.COM/amy#top",
        "https://instagr.am/amy",
        "https://m.instagram.com/amy/",
    ],
    ProfileKey("youtube", "amy"): [
        "https://www.youtube.com/@amy",
        "youtube.com/@Amy/",
        "http://m.youtube.com/@amy?si=xyz&feature=shared",
        "https://www.youtube.com/c/amy",
        "https://www.youtube.com/user/Amy",
        "https://youtube.com/@amy/videos",
    ],
    ProfileKey("youtube", "channel/UCabcDEF123"): [
        "https://www.youtube.com/channel/UCabcDEF123",
        "m.youtube.com/channel/UCabcDEF123/?feature=shared",
    ],
    ProfileKey("bluesky", "amy.bsky.social"): [
        "https://bsky.app/profile/amy.bsky.social",
        "bsky.app/profile/Amy.bsky.social/",
        "http://www.bsky.app/profile/amy.bsky.social?ref=x",
    ],
    ProfileKey("bluesky", "did:plc:abc123"): ["https://bsky.app/profile/did:plc:abc123"],
    ProfileKey("tiktok", "amy"): [
        "https://www.tiktok.com/@amy",
        "tiktok.com/@Amy/",
        "https://m.tiktok.com/@amy?lang=en&is_from_webapp=1",
    ],
    ProfileKey("mastodon", "amy@mastodon.social"): [
        "https://mastodon.social/@amy",
        "https://mastodon.social/users/amy",
        "mastodon.social/@Amy/",
        "https://Mastodon.Social/users/amy?utm_medium=bio",
        "https://fosstodon.org/@amy@mastodon.social",
    ],
    ProfileKey("x", "amy"): [
        "https://x.com/amy",
        "twitter.com/Amy?s=21",
        "https://mobile.twitter.com/amy/",
    ],
    ProfileKey("web", "shop.example/amy"): [
        "https://shop.example/amy",
        "http://www.shop.example/amy/",
    ],
}

# Not a profile (posts, videos, short links that only the platform could resolve) ...
NO_PROFILE = [
    "https://www.instagram.com/p/Cxyz123/",
    "https://www.instagram.com/reel/Cxyz123/",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://youtu.be/dQw4w9WgXcQ",
    "https://vm.tiktok.com/ZMabc123/",
    "https://vt.tiktok.com/ZSabc123/",
    "https://www.tiktok.com/@amy/video/7234567890",
    "https://bsky.app/profile/amy.bsky.social/post/3kabc",
    "https://mastodon.social/@amy/111222333",
    "https://shop.example/",
    "http://[::1",
]


@pytest.mark.parametrize(
    ("spelling", "key"), [(s, k) for k, spellings in SPELLINGS.items() for s in spellings]
)
def test_every_spelling_of_a_profile_gives_its_key(spelling: str, key: ProfileKey) -> None:
    assert profile_key(spelling) == key


@pytest.mark.parametrize("url", NO_PROFILE)
def test_posts_videos_and_short_links_name_no_profile(url: str) -> None:
    assert profile_key(url) is None


def test_other_accounts_do_not_match() -> None:
    amy = profile_key("https://instagram.com/amy")
    assert profile_key("https://instagram.com/amy2") != amy
    assert profile_key("https://tiktok.com/@amy") != amy  # same handle, another platform
    assert profile_key("https://mastodon.social/@amy") != profile_key("https://mas.to/@amy")
    assert profile_key("https://youtube.com/channel/UCabc") != profile_key(
        "https://youtube.com/channel/UCABC"
    )


def test_links_are_found_in_free_text_with_or_without_a_scheme() -> None:
    bio = (
        "coffee! insta: Instagram.com/amy/?utm_source=ig, vids (https://youtu.be/xyz) "
        "and @amy@mastodon.social; mail amy@example.com."
    )
    found = dict(keys_in_text(bio))
    assert found == {
        "Instagram.com/amy/?utm_source=ig": ProfileKey("instagram", "amy"),
        "@amy@mastodon.social": ProfileKey("mastodon", "amy@mastodon.social"),
    }


def test_an_identity_is_named_by_its_handle_and_id_too() -> None:
    keys = identity_keys(
        platform="bluesky",
        profile_url="https://bsky.app/profile/amy.bsky.social",
        username="amy.bsky.social",
        external_user_id="did:plc:abc123",
    )
    assert keys == {
        ProfileKey("bluesky", "amy.bsky.social"),
        ProfileKey("bluesky", "did:plc:abc123"),
    }


@pytest.mark.parametrize(
    "bio_link",
    [
        "https://www.instagram.com/amy/",
        "http://www.Instagram.com/amy/?utm_source=x",
        "instagram.com/amy",
        "https://instagram.com/amy",
        "https://m.instagram.com/Amy?igshid=abc",
        "instagr.am/amy",
    ],
)
def test_a_bio_link_however_spelled_merges_the_two_identities(
    session: Session, bio_link: str
) -> None:
    ws = create_workspace(session)
    insta = create_follower(
        session,
        ws,
        platform="instagram",
        username="amy",
        display_name="Amy",
        profile_url="https://www.instagram.com/amy/",
    )
    bsky = create_follower(
        session,
        ws,
        platform="bluesky",
        username="coffee-amy.bsky.social",
        display_name="A.",
        bio=f"latte art, more at {bio_link}.",
    )
    other = create_follower(session, ws, platform="tiktok", username="amy2", display_name="Amy")
    run = service.refresh_suggestions(session=session, workspace_id=ws.id)
    assert run.auto_merged == 1
    person = service.person_of(session=session, workspace_id=ws.id, follower_id=bsky.id)
    detail = service.detail(session=session, workspace_id=ws.id, person_id=person)
    assert {i.follower_id for i in detail.identities} == {insta.id, bsky.id}
    assert other.id not in {i.follower_id for i in detail.identities}
    (merge,) = detail.merges
    assert merge.evidence[0]["kind"] == "link" and merge.evidence[0]["field"] == "bio"


def test_a_post_link_in_a_bio_merges_nothing(session: Session) -> None:
    ws = create_workspace(session)
    create_follower(
        session,
        ws,
        platform="instagram",
        username="amy",
        profile_url="https://www.instagram.com/amy/",
    )
    create_follower(
        session,
        ws,
        platform="bluesky",
        username="zed.bsky.social",
        bio="loved this: https://www.instagram.com/p/amy/ and https://instagram.com/amy2",
    )
    run = service.refresh_suggestions(session=session, workspace_id=ws.id)
    assert run.auto_merged == 0


def test_a_bio_naming_a_bluesky_did_merges_the_identity_stored_with_its_handle(
    session: Session,
) -> None:
    ws = create_workspace(session)
    bsky = create_follower(
        session,
        ws,
        platform="bluesky",
        username="amy.bsky.social",
        external_user_id="did:plc:amy123",
        profile_url="https://bsky.app/profile/amy.bsky.social",
    )
    yt = create_follower(
        session, ws, platform="youtube", username="@latteart", bio="bsky.app/profile/did:plc:amy123"
    )
    assert service.refresh_suggestions(session=session, workspace_id=ws.id).auto_merged == 1
    assert service.person_of(session=session, workspace_id=ws.id, follower_id=yt.id) == (
        service.person_of(session=session, workspace_id=ws.id, follower_id=bsky.id)
    )

"""`fanlens account …` and `fanlens sync` as a user runs them: subprocesses, real HTTP."""

from __future__ import annotations

from sqlalchemy import Engine, text

from fanlens.demo.generate import World
from fanlens.simulators import ids
from tests.connectors.expectations import expected_counts, stored_counts
from tests.helpers import fanlens_env, invoke_cli


def test_adding_an_account_with_credentials_needs_the_secret_key(fresh_database_url: str) -> None:
    env = fanlens_env(fresh_database_url)
    done = invoke_cli("account", "add", "youtube", "--channel-id", "UC1", "--api-key", "k", env=env)
    assert done.returncode == 1
    assert "FANLENS_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr


def test_add_list_and_sync_from_the_command_line(
    world: World, db: Engine, fresh_database_url: str, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    sim = start_sim("youtube", list(world.records()))
    env = fanlens_env(
        fresh_database_url, FANLENS_SECRET_KEY=secret_key, FANLENS_YOUTUBE_BASE_URL=sim.base_url
    )
    channel, api_key = ids.YOUTUBE_CREATOR_CHANNEL_ID, "AIza-do-not-print-me"

    added = invoke_cli(
        "account", "add", "youtube", "--channel-id", channel, "--api-key", api_key, env=env
    )
    assert added.returncode == 0, added.stderr
    again = invoke_cli(
        "account", "add", "youtube", "--channel-id", channel, "--api-key", api_key, env=env
    )
    assert again.returncode == 1 and "already connected" in again.stderr
    bluesky = invoke_cli("account", "add", "bluesky", "--handle", "@someone.bsky.social", env=env)
    assert bluesky.returncode == 0, bluesky.stderr

    with db.connect() as conn:
        account_id, secret = conn.execute(
            text("SELECT id, credentials FROM accounts WHERE platform = 'youtube'")
        ).one()
    assert api_key.encode() not in bytes(secret)  # encrypted at rest

    synced = invoke_cli("sync", "--account", str(account_id), env=env)
    assert synced.returncode == 0, synced.stderr
    assert "succeeded" in synced.stdout and "comments" in synced.stdout
    assert stored_counts(db, "youtube") == expected_counts(world, "youtube")

    listed = invoke_cli("account", "list", env=env)
    assert listed.returncode == 0
    assert channel in listed.stdout and "succeeded" in listed.stdout
    for output in (added, synced, listed):
        assert api_key not in output.stdout + output.stderr


def test_sync_of_an_unknown_account_is_a_clear_error(fresh_database_url: str) -> None:
    env = fanlens_env(fresh_database_url)
    done = invoke_cli("sync", "--account", "00000000-0000-0000-0000-000000000000", env=env)
    assert done.returncode == 1 and "no account" in done.stderr


def test_add_and_sync_instagram_and_tiktok_from_the_command_line(
    world: World, db: Engine, fresh_database_url: str, start_sim, secret_key: str
) -> None:  # type: ignore[no-untyped-def]
    instagram = start_sim("instagram", list(world.records()))
    tiktok = start_sim("tiktok", list(world.records()))
    env = fanlens_env(
        fresh_database_url,
        FANLENS_SECRET_KEY=secret_key,
        FANLENS_INSTAGRAM_BASE_URL=instagram.base_url,
        FANLENS_TIKTOK_BASE_URL=tiktok.base_url,
        FANLENS_TIKTOK_BUSINESS_BASE_URL=tiktok.root_url + "/open_api/v1.3",
    )
    added = [
        invoke_cli("account", "add", "instagram", "--user-id", ids.INSTAGRAM_CREATOR_ID,
                "--token", "IGQV-secret-token", "--username", "@fanlens.creator", env=env),
        invoke_cli("account", "add", "tiktok", "--open-id", ids.TIKTOK_CREATOR_OPEN_ID,
                "--access-token", "act.sim", "--refresh-token", "rft.sim",
                "--client-key", "sim-client", "--client-secret", "s", env=env),
    ]  # fmt: skip
    assert [a.returncode for a in added] == [0, 0], [a.stderr for a in added]

    synced = invoke_cli("sync", env=env)

    assert synced.returncode == 0, synced.stderr
    assert synced.stdout.count("succeeded") == 2
    for platform in ("instagram", "tiktok"):
        assert stored_counts(db, platform) == expected_counts(world, platform)
    assert "IGQV-secret-token" not in synced.stdout + synced.stderr


def test_bluesky_app_password_is_stored_encrypted(
    db: Engine, fresh_database_url: str, secret_key: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from pydantic import SecretStr

    from fanlens.config import settings
    from fanlens.connectors import credentials

    env = fanlens_env(fresh_database_url, FANLENS_SECRET_KEY=secret_key)
    password = "abcd-efgh-ijkl-mnop"
    added = invoke_cli(
        "account", "add", "bluesky", "--handle", "me.bsky.social", "--app-password", password,
        env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert password not in added.stdout + added.stderr
    with db.connect() as conn:
        secret = conn.execute(
            text("SELECT credentials FROM accounts WHERE platform = 'bluesky'")
        ).scalar_one()
    assert password.encode() not in bytes(secret)
    monkeypatch.setattr(settings, "secret_key", SecretStr(secret_key))
    assert credentials.decrypt(bytes(secret)) == {"app_password": password}

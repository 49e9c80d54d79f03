"""Every fault switch, on every simulator, behaves as the platform documents."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from fanlens.simulators.ids import BLUESKY_CREATOR_DID, MASTODON_CREATOR_ID
from fanlens.simulators.run import RunningSimulator

PLATFORMS = ["youtube", "bluesky", "mastodon"]
# One list request per platform: (path under the API base, params, headers, items key).
PROBES: dict[str, tuple[str, dict[str, Any], dict[str, str], str | None]] = {
    "youtube": (
        "/commentThreads",
        {"part": "snippet", "videoId": "yo-p1", "key": "k"},
        {},
        "items",
    ),
    "bluesky": ("/app.bsky.graph.getFollowers", {"actor": BLUESKY_CREATOR_DID}, {}, "followers"),
    "mastodon": (f"/api/v1/accounts/{MASTODON_CREATOR_ID}/followers", {}, {}, None),
}
TOO_MANY = {
    "youtube": lambda b: b["error"]["code"] == 429 and b["error"]["status"] == "RESOURCE_EXHAUSTED",
    "bluesky": lambda b: b == {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
    "mastodon": lambda b: b == {"error": "Too many requests"},
}
SERVER = {
    "youtube": lambda b: b["error"]["errors"][0]["reason"] == "backendError",
    "bluesky": lambda b: b == {"error": "InternalServerError", "message": "Internal Server Error"},
    "mastodon": lambda b: b == {"error": "Internal Server Error"},
}
GONE = {
    "youtube": lambda r: "text/html" in r.headers["content-type"],
    "bluesky": lambda r: r.json()["error"] == "XRPCNotSupported",
    "mastodon": lambda r: r.json() == {"error": "Not Found"},
}


def probe(sim: RunningSimulator, timeout: float = 10, **headers: str) -> httpx.Response:
    path, params, base_headers, _ = PROBES[sim.platform]
    return httpx.get(
        sim.base_url + path, params=params, headers=base_headers | headers, timeout=timeout
    )


def items(sim: RunningSimulator, response: httpx.Response) -> list[dict[str, Any]]:
    key = PROBES[sim.platform][3]
    body = response.json()
    return list(body[key] if key else body)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_too_many_requests_with_retry_after(
    sims: dict[str, RunningSimulator], platform: str
) -> None:
    sim = sims[platform]
    sim.set_faults(too_many_requests={"count": 2, "retry_after": 7})
    for _ in range(2):
        refused = probe(sim)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "7"
        assert TOO_MANY[platform](refused.json())
    assert probe(sim).status_code == 200


@pytest.mark.parametrize("platform", PLATFORMS)
def test_server_errors_then_recovery(sims: dict[str, RunningSimulator], platform: str) -> None:
    sim = sims[platform]
    sim.set_faults(server_errors=2)
    assert [probe(sim).status_code for _ in range(3)] == [500, 500, 200]
    sim.set_faults(server_errors={"count": 1, "status": 500})
    assert SERVER[platform](probe(sim).json())
    sim.set_faults(server_errors={"count": 1, "status": 502, "html": True})
    proxy = probe(sim)
    assert proxy.status_code == 502 and proxy.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_slow_responses_time_out(sims: dict[str, RunningSimulator], platform: str) -> None:
    sim = sims[platform]
    sim.set_faults(delay={"count": 1, "seconds": 0.8})
    with pytest.raises(httpx.ReadTimeout):
        probe(sim, timeout=0.3)
    assert probe(sim, timeout=5).status_code == 200
    # The abandoned request is still being answered: let it finish, or it could take a fault
    # the next test sets (it once took the malformed page meant for the next probe).
    time.sleep(0.8)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_one_malformed_item_in_a_page(sims: dict[str, RunningSimulator], platform: str) -> None:
    sim = sims[platform]
    good = items(sim, probe(sim))
    sim.set_faults(malformed=1)
    bad = items(sim, probe(sim))
    assert len(bad) == len(good) and bad[1:] == good[1:] and bad[0] != good[0]
    assert items(sim, probe(sim)) == good  # only one page is affected


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_endpoint_that_disappears(sims: dict[str, RunningSimulator], platform: str) -> None:
    sim = sims[platform]
    sim.set_faults(gone=[PROBES[platform][0]])
    gone = probe(sim)
    assert gone.status_code == 404 and GONE[platform](gone)
    sim.set_faults(gone=[])
    assert probe(sim).status_code == 200


def test_expired_and_revoked_credentials(sims: dict[str, RunningSimulator]) -> None:
    youtube, bluesky, mastodon = sims["youtube"], sims["bluesky"], sims["mastodon"]
    for sim in sims.values():
        sim.set_faults(token="revoked")
    key = probe(youtube).json()["error"]
    assert (
        key["code"] == 400 and key["message"] == "API key not valid. Please pass a valid API key."
    )
    oauth = probe(youtube, Authorization="Bearer t")
    assert oauth.status_code == 401 and oauth.json()["error"]["errors"][0]["reason"] == "authError"
    assert probe(bluesky).status_code == 200  # public data needs no token
    invalid = probe(bluesky, Authorization="Bearer t")
    assert invalid.status_code == 401 and invalid.json()["error"] == "InvalidToken"
    revoked = probe(mastodon, Authorization="Bearer t")
    assert revoked.status_code == 401
    assert revoked.json() == {"error": "The access token was revoked"}
    for sim in sims.values():
        sim.set_faults(token="expired")
    expired = probe(bluesky, Authorization="Bearer t")
    assert expired.status_code == 400
    assert expired.json() == {"error": "ExpiredToken", "message": "Token has expired"}
    assert probe(mastodon, Authorization="Bearer t").json() == {"error": "The access token expired"}


def test_a_deleted_account(sims: dict[str, RunningSimulator]) -> None:
    for sim in sims.values():
        sim.set_faults(deleted_account=True)
    youtube, bluesky, mastodon = sims["youtube"], sims["bluesky"], sims["mastodon"]
    channels = httpx.get(
        f"{youtube.base_url}/channels",
        params={"part": "id", "forHandle": "@fanlenscreator", "key": "k"},
    )
    assert channels.status_code == 200 and "items" not in channels.json()
    assert probe(youtube).json()["error"]["errors"][0]["reason"] == "videoNotFound"
    assert probe(bluesky).json() == {"error": "InvalidRequest", "message": "Profile not found"}
    assert probe(mastodon).json() == {"error": "Record not found"}
    lookup = httpx.get(f"{mastodon.base_url}/api/v1/accounts/lookup", params={"acct": "creator"})
    assert lookup.status_code == 404

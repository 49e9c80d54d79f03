"""The one settings object. Every knob is an environment variable prefixed FANLENS_."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FANLENS_", env_file=".env", extra="ignore", env_file_encoding="utf-8"
    )

    database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL >= 15 URL. Unset: an embedded PostgreSQL under data_dir.",
    )
    database_replica_url: SecretStr | None = Field(
        default=None,
        description="A streaming replica of database_url: GET and HEAD requests read there "
        "(docs/scale-out.md). Unset: every request uses database_url.",
    )
    replica_sticky_seconds: float = Field(
        default=5.0,
        ge=0,
        description="For this long after a client's write, its reads go to the primary.",
    )
    replica_max_lag_seconds: float = Field(
        default=30.0,
        ge=0,
        description="A replica further behind than this is left aside: reads go to the primary.",
    )
    data_dir: Path = Field(
        default=Path(".fanlens"),
        description="Where the embedded database and other local state live.",
    )
    host: str = Field(default="127.0.0.1", description="Address `fanlens serve` binds.")
    port: int = Field(default=8000, description="Port `fanlens serve` listens on.")
    log_level: str = Field(default="INFO", description="Logging level.")
    default_workspace: str = Field(
        default="default", description="Workspace used when a command names none."
    )
    people_auto_merge_confidence: float = Field(
        default=0.9,
        ge=0,
        le=1.01,
        description="Suggestions at or above this confidence merge people without a review "
        "(0.9: profile-link evidence only; above 1: never).",
    )
    content_auto_link_confidence: float = Field(
        default=0.8,
        ge=0,
        le=1.01,
        description="Content link suggestions at or above this similarity, posted within 24 h "
        "of each other and without a conflicting link, are linked without a review after each "
        "import, API ingest and sync (above 1: never).",
    )
    people_cron: str = Field(
        default="30 3 * * *",
        description="When the people job refreshes profiles and merge suggestions (cron).",
    )
    ingest_batch_size: int = Field(
        default=20_000, ge=1, description="Interchange lines per ingest transaction."
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key encrypting account credentials at rest "
        "(make one with `fanlens account keygen`).",
    )
    youtube_base_url: str = Field(
        default="https://www.googleapis.com/youtube/v3",
        description="Root of the YouTube Data API v3 (a simulator's URL in tests).",
    )
    bluesky_base_url: str = Field(
        default="https://public.api.bsky.app/xrpc",
        description="Bluesky XRPC root of the AppView (public data needs no credentials).",
    )
    bluesky_pds_url: str = Field(
        default="https://bsky.social",
        description="The Bluesky account's PDS (where replies are written after logging in with "
        "an app password).",
    )
    bluesky_plc_url: str = Field(
        default="https://plc.directory",
        description="The PLC directory resolving a Bluesky fan's did:plc to its PDS (where a "
        "live delete of a like, repost or follow is checked against the fan's records).",
    )
    bluesky_stream_url: str | None = Field(
        default=None,
        description="Bluesky live events: a Jetstream `subscribe` WebSocket URL (e.g. "
        "wss://jetstream2.us-east.bsky.network/subscribe) or a relay's or PDS's firehose (e.g. "
        "wss://bsky.network/xrpc/com.atproto.sync.subscribeRepos), told apart by the path; "
        "unset, Bluesky is only polled.",
    )
    mastodon_streaming: bool = Field(
        default=True,
        description="Mastodon live events: accounts connected with a token keep the streaming "
        "API's `user` stream open (notifications, edits, deletes); false: Mastodon is only "
        "polled.",
    )
    instagram_base_url: str = Field(
        default="https://graph.instagram.com",
        description="Root of the Instagram Graph API (Instagram Login host; the connector adds "
        "the API version).",
    )
    instagram_app_secret: SecretStr | None = Field(
        default=None,
        description="App secret of the Meta app: the key of the X-Hub-Signature-256 HMAC that "
        "signs each Instagram webhook delivery (unset: /webhooks/instagram answers 404).",
    )
    instagram_webhook_verify_token: SecretStr | None = Field(
        default=None,
        description="The Verify Token entered with the callback URL in the Meta app dashboard; "
        "the subscription check (GET /webhooks/instagram) is answered only when it matches.",
    )
    tiktok_base_url: str = Field(
        default="https://open.tiktokapis.com",
        description="Root of TikTok's Display API and OAuth (video list, token refresh).",
    )
    tiktok_business_base_url: str = Field(
        default="https://business-api.tiktok.com/open_api/v1.3",
        description="Root of TikTok's API for Business (comment lists).",
    )
    tiktok_client_secret: SecretStr | None = Field(
        default=None,
        description="Client secret of the TikTok app: the key of the TikTok-Signature HMAC that "
        "signs each TikTok webhook delivery (unset: /webhooks/tiktok answers 404).",
    )
    http_timeout: float = Field(
        default=30.0, gt=0, description="Seconds before an upstream API request times out."
    )
    sync_cron: str = Field(
        default="*/30 * * * *",
        description="When `fanlens worker` queues a sync of every active account (cron, UTC).",
    )
    tiktok_recent_cron: str = Field(
        default="*/5 * * * *",
        description="When `fanlens worker` also syncs the TikTok accounts that published a video "
        "in the last FANLENS_TIKTOK_RECENT_HOURS (cron, UTC): TikTok pushes no comments.",
    )
    tiktok_recent_hours: int = Field(
        default=48,
        ge=1,
        le=24 * 30,
        description="How recent a TikTok account's newest video must be for the faster sync.",
    )
    public_url: str | None = Field(
        default=None,
        description="The address platforms reach fanlens at (e.g. https://fanlens.example.com): "
        "YouTube's WebSub hub calls back <public url>/webhooks/youtube. Unset: fanlens does not "
        "subscribe to YouTube push notifications.",
    )
    youtube_hub_url: str = Field(
        default="https://pubsubhubbub.appspot.com/subscribe",
        description="The WebSub hub YouTube publishes new videos through (subscriptions are "
        "POSTed here).",
    )
    youtube_websub_cron: str = Field(
        default="7 * * * *",
        description="When `fanlens worker` subscribes YouTube accounts to new-video "
        "notifications and renews leases ending within a day (cron, UTC).",
    )
    youtube_recent_cron: str = Field(
        default="*/5 * * * *",
        description="When `fanlens worker` polls the comments of YouTube videos published in the "
        "last FANLENS_YOUTUBE_RECENT_HOURS (cron, UTC): YouTube pushes new videos, not comments.",
    )
    youtube_recent_hours: int = Field(
        default=48,
        ge=1,
        le=24 * 30,
        description="How recent a YouTube video must be for its comments to be polled faster.",
    )
    youtube_recent_quota: int = Field(
        default=6_000,
        ge=0,
        le=10_000,
        description="Quota units of the day (of the 10 000 YouTube allows, reset at midnight "
        "Pacific) up to which an account's faster polls run; the rest is left to the regular "
        "sync, profile refreshes and replies.",
    )
    rescore_cron: str = Field(
        default="0 3 * * *",
        description="When the worker runs the nightly full rescore (cron in UTC).",
    )
    alert_cron: str = Field(
        default="0 6 * * 1",
        description="When the worker checks last week's engagement for drops (cron, UTC).",
    )
    alert_drop_share: float = Field(
        default=0.30,
        gt=0,
        lt=1,
        description="Alert when a week's interactions fall this share below the 4-week mean.",
    )
    alert_min_trailing_mean: float = Field(
        default=20,
        ge=0,
        description="Platforms averaging fewer interactions a week than this are not checked.",
    )
    alert_webhook_url: str | None = Field(
        default=None, description="Engagement-drop alerts are POSTed here as JSON when set."
    )

    session_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs dashboard session cookies. Unset: a random key kept in "
        "data_dir/session.key (made on first use).",
    )
    session_max_age: int = Field(
        default=14 * 24 * 3600, gt=0, description="Seconds a dashboard login lasts."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark the session cookie Secure (set it when serving behind HTTPS).",
    )
    login_max_attempts: int = Field(
        default=5, ge=1, description="Failed logins per username and address before a pause."
    )
    login_window_seconds: int = Field(
        default=900, ge=1, description="The window in which failed logins are counted."
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or CIDR networks of reverse proxies trusted to "
        "report the client in X-Forwarded-For (and the scheme in X-Forwarded-Proto). Empty: "
        "forwarding headers are ignored and the client is the connection's peer.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token that opens /metrics (Prometheus). Unset: /metrics answers 404.",
    )
    sentiment_batch_size: int = Field(
        default=1_000, ge=1, description="Comments the sentiment job analyses per transaction."
    )
    sentiment_cron: str = Field(
        default="*/15 * * * *",
        description="When the worker catches up on comments not yet analysed (cron, UTC).",
    )
    sentiment_llm_url: str | None = Field(
        default=None,
        description="OpenAI-compatible chat-completions endpoint (base URL or full "
        "/chat/completions URL) judging the languages in FANLENS_SENTIMENT_LLM_LANGUAGES.",
    )
    sentiment_llm_key: SecretStr | None = Field(
        default=None, description="Bearer key for FANLENS_SENTIMENT_LLM_URL."
    )
    sentiment_llm_model: str | None = Field(
        default=None, description="Model name sent to the chat-completions endpoint."
    )
    sentiment_llm_languages: str = Field(
        default="*",
        description="Comma-separated ISO 639-1 codes sent to the provider; `*` = every "
        "language VADER cannot read (add `en` to send English too).",
    )
    sentiment_llm_batch_size: int = Field(
        default=20, ge=1, le=200, description="Comments per chat-completions request."
    )
    sentiment_llm_requests_per_minute: int = Field(
        default=60, ge=1, description="Request budget of the sentiment provider."
    )
    sentiment_spike_min_negative: int = Field(
        default=10,
        ge=1,
        description="A content item needs at least this many negative comments in a day "
        "before a negative spike is considered.",
    )
    sentiment_spike_share: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="Negative-spike alert: a day's negative share must reach this and be at "
        "least twice the item's share over the 14 days before.",
    )

    outreach_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Key of the outreach webhooks' HMAC-SHA256 signature header "
        "(X-Fanlens-Signature); webhook campaigns refuse to send without it.",
    )
    outreach_webhook_url: str | None = Field(
        default=None, description="Webhook URL of campaigns that name none in their options."
    )
    outreach_smtp_host: str | None = Field(
        default=None, description="SMTP server of e-mail campaigns."
    )
    outreach_smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port.")
    outreach_smtp_user: str | None = Field(default=None, description="SMTP login (unset: no AUTH).")
    outreach_smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    outreach_smtp_from: str = Field(
        default="fanlens@localhost", description="From address of outreach e-mail."
    )
    outreach_smtp_tls: str = Field(
        default="starttls",
        pattern="^(none|starttls|ssl)$",
        description="none, starttls (upgrade the plain connection) or ssl (TLS from the start).",
    )
    outreach_smtp_resend_uncertain: bool = Field(
        default=True,
        description="After a worker crash during an SMTP send, send again with the same "
        "Message-ID (at-least-once); false marks it failed for review (at-most-once).",
    )
    outreach_max_attempts: int = Field(
        default=5, ge=1, description="Attempts at one outreach message before it is failed."
    )
    outreach_retry_seconds: float = Field(
        default=30, ge=0, description="First retry delay of a message; doubles each attempt."
    )
    outreach_cron: str = Field(
        default="* * * * *",
        description="When the worker resumes campaigns that are due or were interrupted (cron).",
    )
    worker_stalled_after: float = Field(
        default=30,
        ge=3,
        description="Seconds without a heartbeat after which a worker counts as dead and its "
        "running jobs go back to the queue; workers send one every third of this.",
    )
    stalled_cron: str = Field(
        default="* * * * *",
        description="When the worker puts the jobs of dead workers back in the queue (cron).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        for entry in _entries(value):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"FANLENS_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network "
                    "(e.g. 127.0.0.1,10.0.0.0/8)"
                ) from None
        return value

    def trusted_proxy_list(self) -> list[str]:
        return _entries(self.trusted_proxies)

    def database_url_or_none(self) -> str | None:
        return self.database_url.get_secret_value() if self.database_url else None

    def replica_url_or_none(self) -> str | None:
        replica = self.database_replica_url
        return replica.get_secret_value() if replica else None


def _entries(value: str) -> list[str]:
    return [entry.strip() for entry in value.split(",") if entry.strip()]


settings = Settings()


def reload_settings() -> Settings:
    """Re-read the environment in place (tests and the CLI's --data-dir use this)."""
    fresh = Settings()
    for name in Settings.model_fields:
        setattr(settings, name, getattr(fresh, name))
    return settings

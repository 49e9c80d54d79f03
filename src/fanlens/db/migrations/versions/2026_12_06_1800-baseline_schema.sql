-- The tables, indexes and constraints of the baseline revision. A later migration changes them
-- with statements of its own; the functions, triggers and views live in fanlens/db/sql.

CREATE TABLE workspaces (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_workspaces PRIMARY KEY,
    name text NOT NULL CONSTRAINT uq_workspaces_name UNIQUE,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL
);

CREATE TABLE content_items (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_content_items PRIMARY KEY,
    slug text NOT NULL,
    title text,
    description text,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_content_items_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT uq_content_items_workspace_id_slug UNIQUE (workspace_id, slug)
);

CREATE TABLE content_engagement_totals (
    content_id uuid CONSTRAINT pk_content_engagement_totals PRIMARY KEY
        CONSTRAINT fk_content_engagement_totals_content_id_content_items
            REFERENCES content_items (id) ON DELETE CASCADE,
    platform_count integer DEFAULT 0 NOT NULL,
    platforms text[] DEFAULT '{}'::text[] NOT NULL,
    first_posted_at timestamptz,
    total_views bigint,
    total_likes bigint,
    total_comments bigint,
    total_shares bigint,
    total_saves bigint,
    total_engagement bigint DEFAULT 0 NOT NULL,
    engagement_rate numeric,
    best_platform text,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_content_engagement_totals_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE
);

CREATE INDEX ix_content_engagement_totals_workspace_id_total_engagement
    ON content_engagement_totals (workspace_id, total_engagement, content_id);

CREATE TABLE content_posts (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_content_posts PRIMARY KEY,
    content_id uuid NOT NULL
        CONSTRAINT fk_content_posts_content_id_content_items REFERENCES content_items (id)
            ON DELETE CASCADE,
    platform text NOT NULL,
    external_post_id text NOT NULL,
    url text,
    caption text,
    posted_at timestamptz,
    views bigint,
    likes bigint,
    comments bigint,
    shares bigint,
    saves bigint,
    extra_metrics jsonb DEFAULT '{}'::jsonb NOT NULL,
    metrics_updated_at timestamptz,
    is_placeholder boolean DEFAULT false NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_content_posts_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT uq_content_posts_workspace_id_platform_external_post_id
        UNIQUE (workspace_id, platform, external_post_id)
);

CREATE INDEX ix_content_posts_content_id ON content_posts (content_id);

CREATE INDEX ix_content_posts_workspace_id_posted_at ON content_posts (workspace_id, posted_at);

CREATE TABLE content_tags (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_content_tags PRIMARY KEY,
    content_id uuid NOT NULL
        CONSTRAINT fk_content_tags_content_id_content_items REFERENCES content_items (id)
            ON DELETE CASCADE,
    tag_type text DEFAULT 'topic' NOT NULL,
    tag_value text NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_content_tags_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT uq_content_tags_content_id_tag_type_tag_value
        UNIQUE (content_id, tag_type, tag_value)
);

CREATE INDEX ix_content_tags_workspace_id_tag_type_tag_value
    ON content_tags (workspace_id, tag_type, tag_value);

CREATE TABLE follower_tier_counts (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_follower_tier_counts PRIMARY KEY,
    platform text NOT NULL,
    tier text NOT NULL,
    followers bigint NOT NULL,
    interactions bigint NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_follower_tier_counts_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_follower_tier_counts_workspace_id_platform_tier
        UNIQUE (workspace_id, platform, tier)
);

CREATE TABLE followers (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_followers PRIMARY KEY,
    platform text NOT NULL,
    external_user_id text NOT NULL,
    username text,
    display_name text,
    profile_url text,
    avatar_url text,
    follower_count bigint,
    bio text,
    verified boolean,
    first_seen_at timestamptz,
    last_seen_at timestamptz,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_followers_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT uq_followers_workspace_id_platform_external_user_id
        UNIQUE (workspace_id, platform, external_user_id)
);

CREATE INDEX ix_followers_workspace_id_first_seen_at ON followers (workspace_id, first_seen_at);

CREATE INDEX ix_followers_workspace_id_lower_username ON followers (workspace_id, lower(username));

CREATE TABLE follower_interactions (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_follower_interactions PRIMARY KEY,
    workspace_id uuid NOT NULL,
    follower_id uuid NOT NULL,
    content_id uuid,
    content_post_id uuid,
    platform text NOT NULL,
    interaction_type text NOT NULL,
    interaction_value text,
    external_id text,
    parent_external_id text,
    occurred_at timestamptz NOT NULL,
    time_precision text DEFAULT 'exact' NOT NULL,
    observed_at timestamptz DEFAULT now() NOT NULL,
    dedup_key uuid NOT NULL,
    CONSTRAINT uq_follower_interactions_workspace_id_platform_dedup_key
        UNIQUE (workspace_id, platform, dedup_key),
    CONSTRAINT ck_follower_interactions_time_precision
        CHECK (time_precision IN ('exact', 'observed'))
);

CREATE INDEX ix_follower_interactions_comments_content_id_follower_id
    ON follower_interactions (content_id, follower_id, occurred_at)
        WHERE interaction_type = 'comment';

CREATE INDEX ix_follower_interactions_content_id_occurred_at
    ON follower_interactions (content_id, occurred_at);

CREATE INDEX ix_follower_interactions_content_post_id ON follower_interactions (content_post_id);

CREATE INDEX ix_follower_interactions_follower_id_occurred_at
    ON follower_interactions (follower_id, occurred_at);

CREATE INDEX ix_follower_interactions_text_workspace_id_id
    ON follower_interactions (workspace_id, id)
        WHERE interaction_type IN ('comment', 'reply', 'quote', 'mention')
            AND interaction_value IS NOT NULL;

CREATE INDEX ix_follower_interactions_workspace_id_occurred_at
    ON follower_interactions (workspace_id, occurred_at);

CREATE INDEX ix_follower_interactions_workspace_id_parent_external_id
    ON follower_interactions (workspace_id, parent_external_id)
        WHERE parent_external_id IS NOT NULL;

CREATE TABLE ingest_rejects (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_ingest_rejects PRIMARY KEY,
    source text NOT NULL,
    line_number integer NOT NULL,
    reason text NOT NULL,
    message text NOT NULL,
    raw text NOT NULL,
    raw_hash uuid NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_ingest_rejects_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_ingest_rejects_workspace_id_source_line_number_raw_hash
        UNIQUE (workspace_id, source, line_number, raw_hash)
);

CREATE INDEX ix_ingest_rejects_workspace_id_created_at ON ingest_rejects (workspace_id, created_at);

CREATE TABLE interaction_daily_counts (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_interaction_daily_counts PRIMARY KEY,
    content_id uuid,
    platform text NOT NULL,
    day date,
    interaction_type text NOT NULL,
    interaction_count bigint NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_interaction_daily_counts_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_interaction_daily_counts_key
        UNIQUE NULLS NOT DISTINCT (workspace_id, content_id, platform, day, interaction_type)
);

CREATE INDEX ix_interaction_daily_counts_emptied ON interaction_daily_counts (workspace_id)
    WHERE interaction_count <= 0;

CREATE INDEX ix_interaction_daily_counts_workspace_id_day
    ON interaction_daily_counts (workspace_id, day);

CREATE TABLE interaction_platform_days (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_interaction_platform_days PRIMARY KEY,
    platform text NOT NULL,
    day date,
    interaction_count bigint NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_interaction_platform_days_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_interaction_platform_days_workspace_id_platform_day
        UNIQUE NULLS NOT DISTINCT (workspace_id, platform, day)
);

CREATE TABLE scoring_configs (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_scoring_configs PRIMARY KEY,
    version integer NOT NULL,
    weights jsonb NOT NULL,
    super_fan_threshold numeric DEFAULT 500 NOT NULL,
    active_threshold numeric DEFAULT 100 NOT NULL,
    lurker_threshold numeric DEFAULT 10 NOT NULL,
    recency_mode text DEFAULT 'none' NOT NULL,
    recency_days numeric,
    created_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_scoring_configs_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_scoring_configs_workspace_id_version UNIQUE (workspace_id, version),
    CONSTRAINT ck_scoring_configs_tier_order CHECK (super_fan_threshold > active_threshold
        AND active_threshold > lurker_threshold AND lurker_threshold >= 0),
    CONSTRAINT ck_scoring_configs_recency CHECK ((recency_mode = 'none' AND recency_days IS NULL)
        OR (recency_mode IN ('window', 'half_life') AND recency_days > 0)),
    CONSTRAINT ck_scoring_configs_weights_object CHECK (jsonb_typeof(weights) = 'object')
);

CREATE TABLE scoring_runs (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_scoring_runs PRIMARY KEY,
    kind text NOT NULL,
    scheduled_for timestamptz,
    config_version integer NOT NULL,
    followers bigint DEFAULT 0 NOT NULL,
    started_at timestamptz DEFAULT now() NOT NULL,
    finished_at timestamptz,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_scoring_runs_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_scoring_runs_workspace_id_kind_scheduled_for
        UNIQUE (workspace_id, kind, scheduled_for)
);

CREATE TABLE follower_engagement_scores (
    follower_id uuid CONSTRAINT pk_follower_engagement_scores PRIMARY KEY
        CONSTRAINT fk_follower_engagement_scores_follower_id_followers REFERENCES followers (id)
            ON DELETE CASCADE,
    engagement_score numeric DEFAULT 0 NOT NULL,
    engagement_tier text DEFAULT 'inactive' NOT NULL,
    comment_count bigint DEFAULT 0 NOT NULL,
    like_count bigint DEFAULT 0 NOT NULL,
    share_count bigint DEFAULT 0 NOT NULL,
    save_count bigint DEFAULT 0 NOT NULL,
    profile_visit_count bigint DEFAULT 0 NOT NULL,
    link_click_count bigint DEFAULT 0 NOT NULL,
    other_count bigint DEFAULT 0 NOT NULL,
    interaction_count bigint DEFAULT 0 NOT NULL,
    first_interaction_at timestamptz,
    last_interaction_at timestamptz,
    config_version integer DEFAULT '0' NOT NULL,
    computed_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_follower_engagement_scores_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE
);

CREATE INDEX ix_follower_engagement_scores_workspace_id_engagement_score
    ON follower_engagement_scores (workspace_id, engagement_score DESC);

CREATE INDEX ix_follower_engagement_scores_workspace_id_tier_score
    ON follower_engagement_scores (workspace_id, engagement_tier, engagement_score DESC);

CREATE TABLE follower_interaction_counts (
    follower_id uuid NOT NULL
        CONSTRAINT fk_follower_interaction_counts_follower_id_followers REFERENCES followers (id)
            ON DELETE CASCADE,
    interaction_type text NOT NULL,
    interaction_count bigint DEFAULT 0 NOT NULL,
    first_interaction_at timestamptz,
    last_interaction_at timestamptz,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_follower_interaction_counts_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT pk_follower_interaction_counts PRIMARY KEY (follower_id, interaction_type)
);

CREATE TABLE follower_tier_changes (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_follower_tier_changes PRIMARY KEY,
    follower_id uuid NOT NULL
        CONSTRAINT fk_follower_tier_changes_follower_id_followers REFERENCES followers (id)
            ON DELETE CASCADE,
    from_tier text,
    to_tier text NOT NULL,
    score numeric NOT NULL,
    config_version integer NOT NULL,
    changed_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_follower_tier_changes_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    kind text DEFAULT 'behaviour' NOT NULL,
    time_precision text DEFAULT 'exact' NOT NULL,
    CONSTRAINT ck_follower_tier_changes_kind CHECK (kind IN ('behaviour', 'config')),
    CONSTRAINT ck_follower_tier_changes_time_precision
        CHECK (time_precision IN ('exact', 'observed'))
);

CREATE INDEX ix_follower_tier_changes_follower_id_changed_at
    ON follower_tier_changes (follower_id, changed_at);

CREATE INDEX ix_follower_tier_changes_workspace_id_changed_at
    ON follower_tier_changes (workspace_id, changed_at);

CREATE TABLE follower_active_periods (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_follower_active_periods PRIMARY KEY,
    follower_id uuid NOT NULL,
    grain text NOT NULL,
    period date NOT NULL,
    workspace_id uuid NOT NULL,
    platform text NOT NULL,
    CONSTRAINT uq_follower_active_periods_follower_id_grain_period
        UNIQUE (follower_id, grain, period),
    CONSTRAINT ck_follower_active_periods_grain CHECK (grain IN ('week', 'month'))
);

CREATE TABLE retention_cells (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_retention_cells PRIMARY KEY,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_retention_cells_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    platform text NOT NULL,
    grain text NOT NULL,
    cohort date NOT NULL,
    period date NOT NULL,
    followers integer NOT NULL,
    CONSTRAINT uq_retention_cells_workspace_id_platform_grain_cohort_period
        UNIQUE (workspace_id, platform, grain, cohort, period),
    CONSTRAINT ck_retention_cells_grain CHECK (grain IN ('week', 'month'))
);

CREATE TABLE content_link_decisions (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_content_link_decisions PRIMARY KEY,
    post_id uuid NOT NULL
        CONSTRAINT fk_content_link_decisions_post_id_content_posts REFERENCES content_posts (id)
            ON DELETE CASCADE,
    other_post_id uuid NOT NULL
        CONSTRAINT fk_content_link_decisions_other_post_id_content_posts
            REFERENCES content_posts (id) ON DELETE CASCADE,
    decision text NOT NULL,
    moved_post_id uuid,
    previous_content_id uuid,
    decided_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_content_link_decisions_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_content_link_decisions_workspace_id_post_id_other_post_id
        UNIQUE (workspace_id, post_id, other_post_id),
    CONSTRAINT ck_content_link_decisions_decision CHECK (decision IN ('accepted', 'rejected'))
);

CREATE TABLE people (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_people PRIMARY KEY,
    display_name text,
    merged_into_id uuid
        CONSTRAINT fk_people_merged_into_id_people REFERENCES people (id) ON DELETE SET NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_people_workspace_id_workspaces REFERENCES workspaces (id) ON DELETE CASCADE
);

CREATE TABLE identity_profiles (
    follower_id uuid CONSTRAINT pk_identity_profiles PRIMARY KEY
        CONSTRAINT fk_identity_profiles_follower_id_followers REFERENCES followers (id)
            ON DELETE CASCADE,
    links jsonb DEFAULT '[]'::jsonb NOT NULL,
    refreshed_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_identity_profiles_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE
);

CREATE TABLE person_identities (
    follower_id uuid CONSTRAINT pk_person_identities PRIMARY KEY
        CONSTRAINT fk_person_identities_follower_id_followers REFERENCES followers (id)
            ON DELETE CASCADE,
    person_id uuid NOT NULL
        CONSTRAINT fk_person_identities_person_id_people REFERENCES people (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL
);

CREATE INDEX ix_person_identities_person_id ON person_identities (person_id);

CREATE TABLE person_suggestions (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_person_suggestions PRIMARY KEY,
    follower_a_id uuid NOT NULL
        CONSTRAINT fk_person_suggestions_follower_a_id_followers REFERENCES followers (id)
            ON DELETE CASCADE,
    follower_b_id uuid NOT NULL
        CONSTRAINT fk_person_suggestions_follower_b_id_followers REFERENCES followers (id)
            ON DELETE CASCADE,
    kind text NOT NULL,
    confidence double precision NOT NULL,
    evidence jsonb NOT NULL,
    status text DEFAULT 'pending' NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    decided_at timestamptz,
    decided_by text,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_person_suggestions_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_person_suggestions_workspace_id_follower_a_id_follower_b_id
        UNIQUE (workspace_id, follower_a_id, follower_b_id),
    CONSTRAINT ck_person_suggestions_ordered_pair CHECK (follower_a_id < follower_b_id),
    CONSTRAINT ck_person_suggestions_kind CHECK (kind IN ('link', 'same_handle', 'similar_handle')),
    CONSTRAINT ck_person_suggestions_status CHECK (status IN ('pending', 'merged', 'rejected')),
    CONSTRAINT ck_person_suggestions_confidence_range CHECK (confidence >= 0 AND confidence <= 1)
);

CREATE INDEX ix_person_suggestions_workspace_id_status ON person_suggestions (workspace_id, status);

CREATE TABLE person_merges (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_person_merges PRIMARY KEY,
    target_person_id uuid NOT NULL
        CONSTRAINT fk_person_merges_target_person_id_people REFERENCES people (id)
            ON DELETE CASCADE,
    source_person_id uuid NOT NULL
        CONSTRAINT fk_person_merges_source_person_id_people REFERENCES people (id)
            ON DELETE CASCADE,
    follower_ids uuid[] NOT NULL,
    method text NOT NULL,
    suggestion_id uuid
        CONSTRAINT fk_person_merges_suggestion_id_person_suggestions
            REFERENCES person_suggestions (id) ON DELETE SET NULL,
    confidence double precision,
    evidence jsonb,
    merged_by text NOT NULL,
    merged_at timestamptz DEFAULT now() NOT NULL,
    unmerged_at timestamptz,
    unmerged_by text,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_person_merges_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT ck_person_merges_method CHECK (method IN ('auto', 'manual')),
    CONSTRAINT ck_person_merges_distinct_people CHECK (target_person_id <> source_person_id)
);

CREATE INDEX ix_person_merges_source_person_id ON person_merges (source_person_id);

CREATE INDEX ix_person_merges_target_person_id ON person_merges (target_person_id);

CREATE TABLE comment_sentiments (
    interaction_id uuid CONSTRAINT pk_comment_sentiments PRIMARY KEY,
    label text NOT NULL,
    score double precision NOT NULL,
    language text NOT NULL,
    analyser text NOT NULL,
    analyser_version text NOT NULL,
    is_question boolean DEFAULT 'false' NOT NULL,
    corrected_label text,
    corrected_by text,
    corrected_at timestamptz,
    analysed_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_comment_sentiments_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT ck_comment_sentiments_label
        CHECK (label IN ('positive', 'neutral', 'negative', 'unsupported_language')),
    CONSTRAINT ck_comment_sentiments_corrected_label
        CHECK (corrected_label IN ('positive', 'neutral', 'negative')),
    CONSTRAINT ck_comment_sentiments_score_range CHECK (score >= -1 AND score <= 1)
);

CREATE INDEX ix_comment_sentiments_workspace_id_corrected_at
    ON comment_sentiments (workspace_id, corrected_at) WHERE corrected_label IS NOT NULL;

CREATE TABLE sentiment_alerts (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_sentiment_alerts PRIMARY KEY,
    content_id uuid NOT NULL
        CONSTRAINT fk_sentiment_alerts_content_id_content_items REFERENCES content_items (id)
            ON DELETE CASCADE,
    day date NOT NULL,
    negative_count integer NOT NULL,
    comment_count integer NOT NULL,
    negative_share numeric NOT NULL,
    baseline_share numeric NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    notified_at timestamptz,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_sentiment_alerts_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_sentiment_alerts_workspace_id_content_id_day
        UNIQUE (workspace_id, content_id, day)
);

CREATE TABLE engagement_alerts (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_engagement_alerts PRIMARY KEY,
    platform text NOT NULL,
    week date NOT NULL,
    current_value bigint NOT NULL,
    trailing_mean numeric NOT NULL,
    drop_share numeric NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    notified_at timestamptz,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_engagement_alerts_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_engagement_alerts_workspace_id_platform_week UNIQUE (workspace_id, platform, week)
);

CREATE TABLE accounts (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_accounts PRIMARY KEY,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_accounts_workspace_id_workspaces REFERENCES workspaces (id) ON DELETE CASCADE,
    platform text NOT NULL,
    handle text NOT NULL,
    external_id text NOT NULL,
    display_name text,
    settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    credentials bytea,
    status text DEFAULT 'active' NOT NULL,
    last_error text,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT uq_accounts_workspace_id_platform_external_id
        UNIQUE (workspace_id, platform, external_id),
    CONSTRAINT ck_accounts_status CHECK (status IN ('active', 'needs_reauth', 'gone'))
);

CREATE TABLE connector_retired_metrics (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_connector_retired_metrics PRIMARY KEY,
    account_id uuid NOT NULL
        CONSTRAINT fk_connector_retired_metrics_account_id_accounts REFERENCES accounts (id)
            ON DELETE CASCADE,
    metric text NOT NULL,
    media_type text NOT NULL,
    message text NOT NULL,
    first_seen_at timestamptz DEFAULT now() NOT NULL,
    last_seen_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT uq_connector_retired_metrics_account_id_metric_media_type
        UNIQUE (account_id, metric, media_type)
);

CREATE TABLE sync_runs (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_sync_runs PRIMARY KEY,
    account_id uuid NOT NULL
        CONSTRAINT fk_sync_runs_account_id_accounts REFERENCES accounts (id) ON DELETE CASCADE,
    started_at timestamptz DEFAULT now() NOT NULL,
    finished_at timestamptz,
    status text DEFAULT 'running' NOT NULL,
    "full" boolean DEFAULT false NOT NULL,
    items jsonb DEFAULT '{}'::jsonb NOT NULL,
    rejects integer DEFAULT '0' NOT NULL,
    api_calls integer DEFAULT '0' NOT NULL,
    quota_used integer DEFAULT '0' NOT NULL,
    last_error text,
    CONSTRAINT ck_sync_runs_status
        CHECK (status IN ('running', 'succeeded', 'failed', 'needs_reauth', 'gone'))
);

CREATE INDEX ix_sync_runs_account_id_started_at ON sync_runs (account_id, started_at);

CREATE TABLE sync_state (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_sync_state PRIMARY KEY,
    account_id uuid NOT NULL
        CONSTRAINT fk_sync_state_account_id_accounts REFERENCES accounts (id) ON DELETE CASCADE,
    stream text NOT NULL,
    cursor jsonb DEFAULT '{}'::jsonb NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    CONSTRAINT uq_sync_state_account_id_stream UNIQUE (account_id, stream)
);

CREATE TABLE api_tokens (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_api_tokens PRIMARY KEY,
    name text NOT NULL,
    scope text DEFAULT 'read' NOT NULL,
    token_hash text NOT NULL,
    token_prefix text NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_api_tokens_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT ck_api_tokens_scope CHECK (scope IN ('read', 'write'))
);

CREATE UNIQUE INDEX ix_api_tokens_token_hash ON api_tokens (token_hash);

CREATE TABLE login_throttles (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_login_throttles PRIMARY KEY,
    username text NOT NULL,
    ip text NOT NULL,
    window_started_at timestamptz NOT NULL,
    checks integer NOT NULL,
    CONSTRAINT uq_login_throttles_username_ip UNIQUE (username, ip)
);

CREATE INDEX ix_login_throttles_window_started_at ON login_throttles (window_started_at);

CREATE TABLE users (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_users PRIMARY KEY,
    username text NOT NULL CONSTRAINT uq_users_username UNIQUE,
    password_hash text NOT NULL,
    last_login_at timestamptz,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_users_workspace_id_workspaces REFERENCES workspaces (id) ON DELETE CASCADE,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL
);

CREATE TABLE dashboard_sessions (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_dashboard_sessions PRIMARY KEY,
    user_id uuid NOT NULL
        CONSTRAINT fk_dashboard_sessions_user_id_users REFERENCES users (id) ON DELETE CASCADE,
    key_hash text NOT NULL CONSTRAINT uq_dashboard_sessions_key_hash UNIQUE,
    created_at timestamptz DEFAULT now() NOT NULL,
    last_seen_at timestamptz DEFAULT now() NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX ix_dashboard_sessions_user_id ON dashboard_sessions (user_id);

CREATE TABLE outreach_segments (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_outreach_segments PRIMARY KEY,
    name text NOT NULL,
    filters jsonb NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_outreach_segments_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_outreach_segments_workspace_id_name UNIQUE (workspace_id, name)
);

CREATE TABLE outreach_settings (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_outreach_settings PRIMARY KEY,
    time_zone text DEFAULT 'UTC' NOT NULL,
    quiet_start TIME WITHOUT TIME ZONE,
    quiet_end TIME WITHOUT TIME ZONE,
    cooldown_days integer DEFAULT '14' NOT NULL,
    skip_negative boolean DEFAULT 'true' NOT NULL,
    negative_days integer DEFAULT '30' NOT NULL,
    negative_share double precision DEFAULT '0.5' NOT NULL,
    daily_caps jsonb DEFAULT '{}'::jsonb NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL CONSTRAINT uq_outreach_settings_workspace_id UNIQUE
        CONSTRAINT fk_outreach_settings_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT ck_outreach_settings_cooldown_days CHECK (cooldown_days >= 0),
    CONSTRAINT ck_outreach_settings_negative_share CHECK (negative_share > 0
        AND negative_share <= 1),
    CONSTRAINT ck_outreach_settings_quiet_hours CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);

CREATE TABLE outreach_addresses (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_outreach_addresses PRIMARY KEY,
    person_id uuid NOT NULL
        CONSTRAINT fk_outreach_addresses_person_id_people REFERENCES people (id) ON DELETE CASCADE,
    email text NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_outreach_addresses_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_outreach_addresses_workspace_id_person_id UNIQUE (workspace_id, person_id)
);

CREATE TABLE outreach_campaigns (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_outreach_campaigns PRIMARY KEY,
    name text NOT NULL,
    segment_id uuid NOT NULL
        CONSTRAINT fk_outreach_campaigns_segment_id_outreach_segments
            REFERENCES outreach_segments (id) ON DELETE RESTRICT,
    channel text NOT NULL,
    subject text,
    template text NOT NULL,
    options jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'draft' NOT NULL,
    send_at timestamptz,
    created_at timestamptz DEFAULT now() NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_outreach_campaigns_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_outreach_campaigns_workspace_id_name UNIQUE (workspace_id, name),
    CONSTRAINT ck_outreach_campaigns_channel
        CHECK (channel IN ('webhook', 'email', 'csv', 'youtube_reply', 'bluesky_reply',
                           'mastodon_mention')),
    CONSTRAINT ck_outreach_campaigns_status
        CHECK (status IN ('draft', 'scheduled', 'sending', 'done'))
);

CREATE TABLE outreach_opt_outs (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_outreach_opt_outs PRIMARY KEY,
    person_id uuid NOT NULL
        CONSTRAINT fk_outreach_opt_outs_person_id_people REFERENCES people (id) ON DELETE CASCADE,
    channel text NOT NULL,
    reason text,
    created_by text NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_outreach_opt_outs_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_outreach_opt_outs_workspace_id_person_id_channel
        UNIQUE (workspace_id, person_id, channel)
);

CREATE TABLE outreach_recipients (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_outreach_recipients PRIMARY KEY,
    campaign_id uuid NOT NULL
        CONSTRAINT fk_outreach_recipients_campaign_id_outreach_campaigns
            REFERENCES outreach_campaigns (id) ON DELETE CASCADE,
    person_id uuid NOT NULL
        CONSTRAINT fk_outreach_recipients_person_id_people REFERENCES people (id) ON DELETE CASCADE,
    follower_id uuid
        CONSTRAINT fk_outreach_recipients_follower_id_followers REFERENCES followers (id)
            ON DELETE SET NULL,
    channel text NOT NULL,
    address text,
    subject text,
    body text,
    status text NOT NULL,
    reason text,
    attempts integer DEFAULT '0' NOT NULL,
    next_attempt_at timestamptz,
    last_error text,
    sending_at timestamptz,
    sent_at timestamptz,
    created_at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_outreach_recipients_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE,
    CONSTRAINT uq_outreach_recipients_campaign_id_person_id UNIQUE (campaign_id, person_id),
    CONSTRAINT ck_outreach_recipients_status
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped'))
);

CREATE INDEX ix_outreach_recipients_campaign_id_status ON outreach_recipients (campaign_id, status);

CREATE INDEX ix_outreach_recipients_follower_id ON outreach_recipients (follower_id);

CREATE INDEX ix_outreach_recipients_workspace_id_channel_sent_at
    ON outreach_recipients (workspace_id, channel, sent_at);

CREATE TABLE outreach_events (
    id uuid DEFAULT gen_random_uuid() CONSTRAINT pk_outreach_events PRIMARY KEY,
    campaign_id uuid NOT NULL
        CONSTRAINT fk_outreach_events_campaign_id_outreach_campaigns
            REFERENCES outreach_campaigns (id) ON DELETE CASCADE,
    recipient_id uuid
        CONSTRAINT fk_outreach_events_recipient_id_outreach_recipients
            REFERENCES outreach_recipients (id) ON DELETE CASCADE,
    event text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    at timestamptz DEFAULT now() NOT NULL,
    workspace_id uuid NOT NULL
        CONSTRAINT fk_outreach_events_workspace_id_workspaces REFERENCES workspaces (id)
            ON DELETE CASCADE
);

CREATE INDEX ix_outreach_events_campaign_id_at ON outreach_events (campaign_id, at);

CREATE INDEX ix_outreach_events_recipient_id ON outreach_events (recipient_id);

"""The primary keys of followers, people, person_suggestions and the outreach segments,
campaigns and recipients hold `workspace_id` after `id`, and every foreign key to them is on
(the row's id column, workspace_id), with its ON DELETE as before (SET NULL names its id column
alone, so `workspace_id` is kept); outreach_recipients' unique (campaign_id, person_id) holds
`workspace_id` too, as `uq_outreach_recipients_key`. Citus can then enforce them on the node
holding the workspace (docs/scale-out.md).

What it costs: no table is rewritten (no column changes). Each of the six tables builds its new
primary key index (one sort of its ids; followers' is the large one), outreach_recipients also
its new unique index, and each of the 20 foreign keys is checked once, by one join of its table
against the new key: for followers that is a pass over follower_engagement_scores,
follower_interaction_counts, follower_tier_changes, identity_profiles, person_identities,
person_suggestions (twice) and outreach_recipients. The tables are locked until the migration
commits: writes and reads of followers and people wait, so run it while fanlens is stopped.
Measured on 500 000 followers (as many people, identities, scores and tier changes, a million
interaction counts): 16 to 20 s up, 13 s down, on a shared 2-core machine at load 10.

Created 2026-12-07.
"""

from alembic import op

revision = "people_outreach_keys"
down_revision = "account_tables_workspace"

# Each table whose primary key gains `workspace_id`.
PARENTS = (
    "followers",
    "people",
    "person_suggestions",
    "outreach_segments",
    "outreach_campaigns",
    "outreach_recipients",
)

# Each foreign key to them: (table, column, referenced table, ON DELETE).
FOREIGN_KEYS = (
    ("follower_engagement_scores", "follower_id", "followers", "CASCADE"),
    ("follower_interaction_counts", "follower_id", "followers", "CASCADE"),
    ("follower_tier_changes", "follower_id", "followers", "CASCADE"),
    ("identity_profiles", "follower_id", "followers", "CASCADE"),
    ("outreach_recipients", "follower_id", "followers", "SET NULL"),
    ("person_identities", "follower_id", "followers", "CASCADE"),
    ("person_suggestions", "follower_a_id", "followers", "CASCADE"),
    ("person_suggestions", "follower_b_id", "followers", "CASCADE"),
    ("people", "merged_into_id", "people", "SET NULL"),
    ("outreach_addresses", "person_id", "people", "CASCADE"),
    ("outreach_opt_outs", "person_id", "people", "CASCADE"),
    ("outreach_recipients", "person_id", "people", "CASCADE"),
    ("person_identities", "person_id", "people", "CASCADE"),
    ("person_merges", "source_person_id", "people", "CASCADE"),
    ("person_merges", "target_person_id", "people", "CASCADE"),
    ("person_merges", "suggestion_id", "person_suggestions", "SET NULL"),
    ("outreach_campaigns", "segment_id", "outreach_segments", "RESTRICT"),
    ("outreach_recipients", "campaign_id", "outreach_campaigns", "CASCADE"),
    ("outreach_events", "campaign_id", "outreach_campaigns", "CASCADE"),
    ("outreach_events", "recipient_id", "outreach_recipients", "CASCADE"),
)

OLD_UNIQUE = "uq_outreach_recipients_campaign_id_person_id"
NEW_UNIQUE = "uq_outreach_recipients_key"


def _alter(table: str, actions: list[str]) -> None:
    """One ALTER TABLE per table: its new constraints are built and checked in one statement."""
    op.execute(f"ALTER TABLE {table} " + ", ".join(actions))


def _reference(column: str, parent: str, on_delete: str, keyed: bool) -> str:
    if not keyed:
        return f"FOREIGN KEY ({column}) REFERENCES {parent} (id) ON DELETE {on_delete}"
    if on_delete == "SET NULL":
        on_delete = f"SET NULL ({column})"  # workspace_id is the row's own: it stays
    return (
        f"FOREIGN KEY ({column}, workspace_id) REFERENCES {parent} (id, workspace_id)"
        f" ON DELETE {on_delete}"
    )


def _keys(keyed: bool) -> None:
    drops: dict[str, list[str]] = {}
    adds: dict[str, list[str]] = {}
    for table, column, parent, on_delete in FOREIGN_KEYS:
        name = f"fk_{table}_{column}_{parent}"
        drops.setdefault(table, []).append(f"DROP CONSTRAINT {name}")
        adds.setdefault(table, []).append(
            f"ADD CONSTRAINT {name} {_reference(column, parent, on_delete, keyed)}"
        )
    for table, actions in drops.items():
        _alter(table, actions)
    key = "id, workspace_id" if keyed else "id"
    for table in PARENTS:
        _alter(
            table, [f"DROP CONSTRAINT pk_{table}", f"ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})"]
        )
    old, new, unique = (
        (OLD_UNIQUE, NEW_UNIQUE, "campaign_id, person_id, workspace_id")
        if keyed
        else (NEW_UNIQUE, OLD_UNIQUE, "campaign_id, person_id")
    )
    _alter(
        "outreach_recipients", [f"DROP CONSTRAINT {old}", f"ADD CONSTRAINT {new} UNIQUE ({unique})"]
    )
    for table, actions in adds.items():
        _alter(table, actions)


def upgrade() -> None:
    _keys(keyed=True)


def downgrade() -> None:
    _keys(keyed=False)

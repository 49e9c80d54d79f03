"""`fanlens score …` (rescore, explain a score) and `fanlens scoring …` (the rules)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from fanlens.kit.cli import WorkspaceOption, console, friendly_errors
from fanlens.workspaces.cli import named_workspace

app = typer.Typer()
score_app = typer.Typer(help="Rescore followers; explain a score.")
scoring_app = typer.Typer(help="Scoring rules: weights, tiers, recency.", no_args_is_help=True)
app.add_typer(score_app, name="score")
app.add_typer(scoring_app, name="scoring")


@score_app.callback(invoke_without_command=True)
@friendly_errors
def score(
    ctx: typer.Context,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Also rebuild the per-type counts and replay the tier history."
        ),
    ] = False,
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Only this workspace (default: all).")
    ] = None,
) -> None:
    """Rescore every follower (of one workspace or all), one transaction per workspace."""
    if ctx.invoked_subcommand is not None:
        return
    from fanlens.scoring.runner import rescore_all

    for result in rescore_all(workspace_name=workspace, rebuild_counts=full, replay_history=full):
        console.print(
            f"workspace {result.workspace_id}: {result.followers:,} followers rescored "
            f"under config v{result.config_version} in {result.seconds:.2f}s"
        )


@score_app.command("explain")
@friendly_errors
def score_explain(follower_id: str, workspace: WorkspaceOption = None) -> None:
    """Why a follower has their score and tier: count x weight = points, per type."""
    import uuid

    from fanlens.db.engine import unit_of_work
    from fanlens.kit.errors import InvalidInput
    from fanlens.scoring import service

    try:
        fid = uuid.UUID(follower_id)
    except ValueError as exc:
        raise InvalidInput(f"{follower_id!r} is not a follower id (a UUID)") from exc
    with unit_of_work() as session:
        why = service.explain(
            session=session, workspace_id=named_workspace(session, workspace).id, follower_id=fid
        )
    console.print(
        f"{why.username or why.follower_id} on {why.platform} (config v{why.config_version})"
    )
    table = Table("interaction", "count", "counted", "weight", "points")
    for line in why.lines:
        table.add_row(
            line.interaction_type,
            str(line.count),
            f"{line.effective_count.normalize():f}",
            f"{line.weight.normalize():f}",
            f"{line.points.normalize():f}",
        )
    console.print(table)
    t = why.thresholds
    console.print(f"score {why.score.normalize():f} -> tier {why.tier}")
    console.print(f"tiers: super_fan >= {t.super_fan}, active >= {t.active}, lurker >= {t.lurker}")
    if why.next_tier and why.points_to_next_tier is not None:
        distance = why.points_to_next_tier.normalize()
        console.print(f"next tier: {why.next_tier}, {distance:f} points away")
    console.print(f"recency: {why.recency.describe()}")
    if why.stored_score is not None and why.stored_score != why.score:
        console.print(
            f"stored score {why.stored_score} (computed {why.computed_at}) is due a rescore"
        )


def _pairs(values: list[str], what: str) -> dict[str, Any]:
    from decimal import Decimal, InvalidOperation

    from fanlens.kit.errors import InvalidInput

    pairs: dict[str, Any] = {}
    for item in values:
        name, _, number = item.partition("=")
        try:
            pairs[name.strip()] = Decimal(number)
        except InvalidOperation as exc:
            raise InvalidInput(f"{what} {item!r}: expected NAME=NUMBER") from exc
    return pairs


def _print_config(config: Any) -> None:
    console.print(f"scoring config v{config.version} (since {config.created_at:%Y-%m-%d %H:%M})")
    table = Table("interaction", "weight")
    for name, weight in config.weights.items():
        table.add_row(name, f"{weight.normalize():f}")
    console.print(table)
    t = config.thresholds
    console.print(f"tiers: super_fan >= {t.super_fan}, active >= {t.active}, lurker >= {t.lurker}")
    console.print(f"recency: {config.recency.describe()}")


@scoring_app.command("show")
@friendly_errors
def scoring_show(
    workspace: WorkspaceOption = None,
    history: Annotated[bool, typer.Option("--history", help="Every version.")] = False,
) -> None:
    """Show the scoring config in force (weights, tier thresholds, recency rule)."""
    from fanlens.db.engine import unit_of_work
    from fanlens.scoring import service

    with unit_of_work() as session:
        ws = named_workspace(session, workspace).id
        configs = (
            service.list_configs(session=session, workspace_id=ws)
            if history
            else [service.get_config(session=session, workspace_id=ws)]
        )
    for config in configs:
        _print_config(config)


@scoring_app.command("set")
@friendly_errors
def scoring_set(
    weight: Annotated[list[str], typer.Option("--weight", help="TYPE=WEIGHT, repeatable.")] = [],  # noqa: B006
    tier: Annotated[
        list[str], typer.Option("--tier", help="super_fan|active|lurker=MIN_SCORE, repeatable.")
    ] = [],  # noqa: B006
    window: Annotated[float | None, typer.Option(help="Count only the last N days.")] = None,
    half_life: Annotated[float | None, typer.Option(help="Halve weights every N days.")] = None,
    no_recency: Annotated[bool, typer.Option("--no-recency", help="All-time counts.")] = False,
    reset_weights: Annotated[bool, typer.Option(help="Start from the default weights.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Record a new config version and rescore the workspace under it."""
    from decimal import Decimal

    from pydantic import ValidationError

    from fanlens.db.engine import unit_of_work
    from fanlens.kit.errors import InvalidInput
    from fanlens.scoring import service
    from fanlens.scoring.schemas import RecencyRule, ScoringConfigChange

    if sum([window is not None, half_life is not None, no_recency]) > 1:
        raise InvalidInput("choose one of --window, --half-life, --no-recency")
    tiers = _pairs(tier, "--tier")
    if set(tiers) - {"super_fan", "active", "lurker"}:
        raise InvalidInput("--tier names are super_fan, active and lurker")
    recency = None
    if window is not None:
        recency = RecencyRule(mode="window", days=Decimal(str(window)))
    elif half_life is not None:
        recency = RecencyRule(mode="half_life", days=Decimal(str(half_life)))
    elif no_recency:
        recency = RecencyRule()
    try:
        change = ScoringConfigChange(
            weights=_pairs(weight, "--weight"),
            reset_weights=reset_weights,
            recency=recency,
            **tiers,
        )
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"]) from exc
    with unit_of_work() as session:
        config = service.update_config(
            session=session, workspace_id=named_workspace(session, workspace).id, change=change
        )
    _print_config(config)
    console.print("workspace rescored")

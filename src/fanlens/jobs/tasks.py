"""Jobs and their schedule. Each task is a thin shell: runners own the commit points.

Any number of workers share the queue. A worker killed in the middle of a job stops sending
heartbeats; retry_stalled_jobs puts its jobs back in the queue and another worker runs them
again. So every task is safe to run twice: syncs resume from their cursor under a per-account
lock and store each item once, analyses and refreshes only fill in what is missing, rescores
recompute, and outreach claims each message before sending it (fanlens.outreach.delivery).

Nightly rescore, never twice: procrastinate defers each periodic tick once however many workers
run (procrastinate_periodic_defers), the queueing lock keeps at most one waiting, the `lock`
runs them one at a time, and rescore_workspace claims (workspace, tick) in scoring_runs in
the rescore's own transaction, so even a re-run of the same tick skips.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from procrastinate import Blueprint, JobContext
from procrastinate.exceptions import ConnectorException

from fanlens.config import settings

log = logging.getLogger(__name__)
blueprint = Blueprint()


@blueprint.periodic(cron=settings.rescore_cron, periodic_id="nightly")
@blueprint.task(name="nightly_rescore", queueing_lock="nightly_rescore", lock="fanlens-rescore")
def nightly_rescore(timestamp: int) -> list[dict[str, Any]]:
    from fanlens.scoring.runner import rescore_all

    tick = datetime.fromtimestamp(timestamp, UTC)
    results = rescore_all(rebuild_counts=True, kind="nightly", scheduled_for=tick)
    return [r.model_dump(mode="json") for r in results]


@blueprint.task(name="rescore_workspace", lock="fanlens-rescore")
def rescore_workspace(workspace_id: str) -> dict[str, Any]:
    """Deferred by the API after a config change is committed."""
    from fanlens.db.engine import unit_of_work
    from fanlens.scoring import service

    with unit_of_work() as session:
        result = service.rescore_workspace(
            session=session, workspace_id=uuid.UUID(workspace_id), kind="config"
        )
    return result.model_dump(mode="json")


@blueprint.periodic(cron=settings.sync_cron, periodic_id="sync")
@blueprint.task(name="sync_active_accounts", queueing_lock="sync_active_accounts")
def sync_active_accounts(timestamp: int) -> list[str]:
    """Queue one sync job per active account; the jobs spread over every running worker."""
    from fanlens.connectors.scheduling import active_account_ids

    return _queue_syncs(active_account_ids())


def _queue_syncs(account_ids: list[uuid.UUID], *, recent: str | None = None) -> list[str]:
    """Queue a sync per account (a faster poll of `recent`'s platform when named). One of
    each kind may wait per account; both kinds run one at a time per account."""
    from procrastinate.exceptions import AlreadyEnqueued

    queued = []
    waiting = "sync-recent" if recent else "sync"
    for account_id in account_ids:
        try:
            sync_account.configure(
                queueing_lock=f"{waiting}:{account_id}", lock=f"sync:{account_id}"
            ).defer(account_id=str(account_id), **({"recent": recent} if recent else {}))
            queued.append(str(account_id))
        except AlreadyEnqueued:  # its previous sync is still waiting: one is enough
            log.info("%s of account %s already queued", waiting, account_id)
    return queued


def _queue_recent(platform: str, timestamp: int) -> list[str]:
    """Queue the faster poll of each account of `platform` with a recent post."""
    from fanlens.connectors.scheduling import recent_account_ids

    now = datetime.fromtimestamp(timestamp, UTC)
    return _queue_syncs(recent_account_ids(platform, now), recent=platform)


@blueprint.periodic(cron=settings.tiktok_recent_cron, periodic_id="sync_recent_tiktok")
@blueprint.task(name="sync_recent_tiktok", queueing_lock="sync_recent_tiktok")
def sync_recent_tiktok(timestamp: int) -> list[str]:
    """TikTok pushes no comments: its accounts with a recent video are polled faster."""
    return _queue_recent("tiktok", timestamp)


@blueprint.periodic(cron=settings.youtube_recent_cron, periodic_id="sync_recent_youtube")
@blueprint.task(name="sync_recent_youtube", queueing_lock="sync_recent_youtube")
def sync_recent_youtube(timestamp: int) -> list[str]:
    """YouTube pushes new videos only: its accounts with a recent video are polled faster,
    inside FANLENS_YOUTUBE_RECENT_QUOTA units of the day's quota."""
    return _queue_recent("youtube", timestamp)


@blueprint.periodic(cron=settings.youtube_websub_cron, periodic_id="youtube_websub")
@blueprint.task(name="youtube_websub", queueing_lock="youtube_websub")
def youtube_websub(timestamp: int) -> list[dict[str, Any]]:
    """Subscribe YouTube accounts to new-video notifications; renew leases before they end."""
    from fanlens.connectors.websub import subscribe_due

    return subscribe_due(datetime.fromtimestamp(timestamp, UTC))


@blueprint.task(name="sync_account")
def sync_account(account_id: str, recent: str | None = None) -> dict[str, Any]:
    """One account's incremental sync, or with `recent` (its platform) the faster poll of its
    recent posts. The per-account lock (and the sync's own advisory lock) keep two workers
    from syncing one account at once."""
    from fanlens.connectors.scheduling import run_sync

    return run_sync(uuid.UUID(account_id), recent=recent)


@blueprint.periodic(cron=settings.alert_cron, periodic_id="weekly")
@blueprint.task(name="check_engagement_drops", queueing_lock="check_engagement_drops")
def check_engagement_drops(timestamp: int) -> dict[str, int]:
    from fanlens.alerts.runner import check_all

    return check_all(now=datetime.fromtimestamp(timestamp, UTC)).model_dump()


@blueprint.task(name="analyse_comments")
def analyse_comments(workspace_id: str) -> dict[str, int]:
    """Deferred after an ingest commit (import, sync, API): sentiment of the new comments."""
    from fanlens.sentiment.runner import analyse_pending

    return analyse_pending(workspace_id=uuid.UUID(workspace_id)).model_dump()


@blueprint.periodic(cron=settings.sentiment_cron, periodic_id="sentiment")
@blueprint.task(name="analyse_all_pending", queueing_lock="analyse_all_pending")
def analyse_all_pending(timestamp: int) -> dict[str, int]:
    """Catch-up: comments whose job was never queued (no queue at ingest time, a crash)."""
    from fanlens.sentiment.runner import analyse_pending

    return analyse_pending().model_dump()


@blueprint.periodic(cron=settings.people_cron, periodic_id="people")
@blueprint.task(name="refresh_people", queueing_lock="refresh_people", lock="fanlens-people")
def refresh_people(timestamp: int) -> list[dict[str, Any]]:
    """Refresh profiles from the connectors, then look for merge suggestions (auto-merging
    those above the threshold), workspace by workspace."""
    from fanlens.people.runner import run_all

    return [r.model_dump(mode="json") for r in run_all()]


@blueprint.task(name="refresh_suggestions", lock="fanlens-people")
def refresh_suggestions(workspace_id: str) -> dict[str, Any] | None:
    """Merge suggestions of one workspace, queued after an API ingest has committed."""
    from fanlens.people.refresh import refresh_now

    run = refresh_now(uuid.UUID(workspace_id))
    return None if run is None else run.model_dump()


@blueprint.task(name="outreach_deliver")
def outreach_deliver(campaign_id: str) -> dict[str, Any]:
    """Drain one campaign's outbox; retries, quiet hours and the daily cap come back as a job
    scheduled for when they are due (see fanlens.outreach.delivery)."""
    from procrastinate.exceptions import AlreadyEnqueued

    from fanlens.outreach.delivery import deliver

    result = deliver(uuid.UUID(campaign_id))
    if result.next_at is not None and not result.busy:
        # A run already waiting picks these up too.
        with contextlib.suppress(AlreadyEnqueued):
            outreach_deliver.configure(
                queueing_lock=f"outreach:{campaign_id}", schedule_at=result.next_at
            ).defer(campaign_id=campaign_id)
    return result.model_dump(mode="json")


@blueprint.periodic(cron=settings.outreach_cron, periodic_id="outreach")
@blueprint.task(name="outreach_resume", queueing_lock="outreach_resume")
def outreach_resume(timestamp: int) -> list[str]:
    """Campaigns due now or interrupted (a worker killed mid-send): queue their delivery.
    A campaign being delivered right now is safe: its deliverer holds an advisory lock."""
    from procrastinate.exceptions import AlreadyEnqueued

    from fanlens.outreach.delivery import resume_all

    queued = []
    for campaign_id in resume_all():
        try:
            outreach_deliver.configure(queueing_lock=f"outreach:{campaign_id}").defer(
                campaign_id=str(campaign_id)
            )
            queued.append(str(campaign_id))
        except AlreadyEnqueued:
            pass
    return queued


@blueprint.periodic(cron=settings.stalled_cron, periodic_id="stalled")
@blueprint.task(name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context: JobContext, timestamp: int) -> list[int]:
    """Queue again the jobs of workers that sent no heartbeat for FANLENS_WORKER_STALLED_AFTER
    seconds (killed, or their machine gone). No `lock`: a run of this task whose own worker
    died would hold it, and no later run could start to free it."""
    manager = context.app.job_manager
    retried = []
    stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=settings.worker_stalled_after)
    for job in stalled:
        assert job.id is not None  # read from the table
        try:
            await manager.retry_job(job)
        except ConnectorException:  # finished meanwhile (its worker was only slow)
            log.info("job %s was no longer running; not retried", job.id)
            continue
        log.warning("job %s (%s) of a dead worker is queued again", job.id, job.task_name)
        retried.append(job.id)
    return retried

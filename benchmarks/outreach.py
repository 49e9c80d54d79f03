"""Outreach benchmark (issue 11): what the exactly-once outbox costs per message, and how long a
dry run of a whole segment takes.

Prints, in one run on one database server:
  1. delivery of N webhook messages through the outbox (claim commit, signed POST, sent
     commit, audit rows) against a baseline of the same N signed POSTs sent straight to the
     same local receiver; the ratio is the outbox's overhead;
  2. a dry run (plan: segment, variables, guards, rendering) over every engaged person of a
     synthetic world, in people per second.

    python benchmarks/outreach.py --size small --messages 300
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import SecretStr
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from benchmarks._db import fresh_database
from fanlens.config import settings
from fanlens.demo.generate import generate_world
from fanlens.interactions.ingest import ingest_records
from fanlens.outreach import delivery, service
from fanlens.outreach.channels import Outgoing, WebhookChannel
from fanlens.outreach.schemas import CampaignIn, SegmentFilters, SegmentIn, SettingsIn
from fanlens.workspaces import service as workspace_service

SECRET = "bench-secret"


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _receiver() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


def baseline(url: str, n: int) -> float:
    channel = WebhookChannel(url, SECRET)
    started = time.perf_counter()
    for i in range(n):
        message = Outgoing(
            recipient_id=str(uuid.uuid4()), campaign_id="b", person_id=str(i),
            channel="webhook", address=url, subject=None, body=f"hi {i}",
        )  # fmt: skip
        channel.send(message)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="small", choices=["tiny", "small", "medium"])
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    settings.outreach_webhook_secret = SecretStr(SECRET)
    engine = create_engine(fresh_database("outreach"))  # pooled, as fanlens runs
    server, url = _receiver()
    with Session(engine) as s:
        ws = workspace_service.create(session=s, name="bench")
        ingest_records(s, workspace_id=ws.id, records=generate_world(args.size, 3).records(),
                       source="bench")  # fmt: skip
        service.update_settings(session=s, workspace_id=ws.id, changes=SettingsIn(
            cooldown_days=0, skip_negative=True))  # fmt: skip
        everyone = service.create_segment(session=s, workspace_id=ws.id, data=SegmentIn(
            name="engaged", filters=SegmentFilters(min_score=1)))  # fmt: skip
        top = service.create_segment(session=s, workspace_id=ws.id, data=SegmentIn(
            name="top", filters=SegmentFilters(min_score=1, limit=args.messages)))  # fmt: skip
        template = "Hi {{ name }}! {{ interactions }} interactions since {{ first_interaction }}."
        plan_c = service.create_campaign(session=s, workspace_id=ws.id, data=CampaignIn(
            name="plan", segment=everyone.name, channel="webhook", template=template,
            options={"url": url}))  # fmt: skip
        send_c = service.create_campaign(session=s, workspace_id=ws.id, data=CampaignIn(
            name="send", segment=top.name, channel="webhook", template=template,
            options={"url": url}))  # fmt: skip
        s.commit()
        started = time.perf_counter()
        plan = service.plan(session=s, workspace_id=ws.id, campaign=plan_c)
        plan_s = time.perf_counter() - started
        people = len(plan.messages) + len(plan.left_out)
        rate = people / plan_s
        print(f"dry run over {people} people ({len(plan.messages)} messages, "
              f"{len(plan.left_out)} left out): {plan_s:.2f}s, {rate:,.0f} people/s")  # fmt: skip
        send_id = send_c.id
        service.schedule(session=s, workspace_id=ws.id, ref=str(send_id))
        s.commit()
    base = baseline(url, args.messages)
    started = time.perf_counter()
    result = delivery.deliver_until_idle(send_id, engine=engine)
    outbox = time.perf_counter() - started
    assert result.sent == args.messages, result
    print(f"baseline: {args.messages} signed POSTs in {base:.2f}s ({args.messages / base:,.0f}/s)")
    print(f"outbox:   {result.sent} messages in {outbox:.2f}s ({result.sent / outbox:,.0f}/s), "
          f"ratio {outbox / base:.2f}x the baseline")  # fmt: skip
    server.shutdown()
    engine.dispose()


if __name__ == "__main__":
    main()

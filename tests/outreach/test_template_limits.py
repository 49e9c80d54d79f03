"""Issue #21, finding 8: templates render under a budget, checked at create, preview and send.

A template over a limit for the sample person is refused whole (422 naming the limit); one over
a limit for one real person leaves that person out (skipped, with the reason) and no one else.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from fanlens.kit.errors import InvalidInput
from fanlens.outreach import service, templates
from fanlens.outreach.models import OutreachRecipient, OutreachSegment
from fanlens.outreach.templates import TemplateLimit
from tests.fixtures.builders import create_workspace
from tests.outreach.helpers import campaign, fan, person

NESTED = "{% for i in range(30000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}x"


def test_a_draft_over_a_limit_is_refused_at_preview_and_send(session: Session) -> None:
    ws = create_workspace(session)
    fan(session, ws, "ada")
    draft = campaign(session, ws)
    draft.template = NESTED  # saved before the limits held: the create check never saw it
    session.flush()
    for attempt in (
        lambda: service.plan(session=session, workspace_id=ws.id, campaign=draft, limit=10),
        lambda: service.schedule(session=session, workspace_id=ws.id, ref=str(draft.id)),
    ):
        with pytest.raises(TemplateLimit) as refused:
            attempt()
        assert refused.value.status_code == 422 and refused.value.details == {"limit": "range"}
    assert draft.status == "draft"


def test_a_message_over_a_limit_for_one_person_is_skipped_with_the_reason(
    session: Session,
) -> None:
    ws = create_workspace(session)
    busy, calm = fan(session, ws, "busy", clicks=1200), fan(session, ws, "calm")
    # The sample person has 52 interactions: the create check passes; busy has 1200.
    sent = campaign(session, ws, template="{% for i in range(interactions) %}.{% endfor %}")
    service.schedule(session=session, workspace_id=ws.id, ref=str(sent.id))
    rows = {r.person_id: r for r in session.query(OutreachRecipient).filter_by(campaign_id=sent.id)}
    assert rows[person(session, calm)].status == "queued"
    assert rows[person(session, calm)].body == "." * 35
    skipped = rows[person(session, busy)]
    assert skipped.status == "skipped" and "range() is limited to 1000" in (skipped.reason or "")


@pytest.mark.parametrize(
    ("source", "limit"),
    [
        ("{{ range(10**9)|length }}", "range"),
        (NESTED, "range"),
        ("{% for i in range(999) %}{% for j in range(999) %}{% endfor %}{% endfor %}", "steps"),
        ("{{ 'x' * 10**8 }}", "output"),
        ("{{ ('ab' * 5000)|replace('', 'ab' * 5000) }}", "output"),
        ("{{ ('ab' * 5000).replace('', 'ab' * 5000) }}", "output"),
        ("{{ (range(1000)|list)|join('x' * 9000) }}", "output"),
        ("{{ 10**10**10 }}", "number"),
        ("x" * 20_001, "source"),
    ],
)
def test_each_limit_is_named(source: str, limit: str) -> None:
    with pytest.raises(TemplateLimit) as refused:
        templates.check(source)
    assert refused.value.details == {"limit": limit}


@pytest.mark.parametrize(
    "source",
    [
        "{{ 1/0 }}",
        "{{ 'a' + 1 }}",
        "{{ '%s' % name }}",
        "{{ name.format() }}",
        "{{ 'x'|center(10**9) }}",
        "{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('x') }}",
        "{{ " + "9" * 5000 + " }}",
        "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
    ],
)
def test_other_failures_of_a_template_are_invalid_input(source: str) -> None:
    with pytest.raises(InvalidInput):
        templates.check(source)


def test_plain_templates_keep_working() -> None:
    source = (
        "{{ name.upper() }} {{ counts.get('share', 0) }} {{ ['a', 'b']|join('-') }} "
        "{% for k in counts|dictsort %}{{ loop.cycle('x', 'y') }}{{ k[0]|title }}{% endfor %} "
        "{{ '%.1f'|replace('%', '') }} {{ (score / 3)|round(1) }} {{ 2 ** 10 }}"
    )
    rendered = templates.render(source, templates.SAMPLE_CONTEXT)
    assert rendered == "ADA 0 a-b xCommentyLike .1f 213.3 1024"


def test_a_segment_saved_outside_todays_bounds_is_refused_by_name(session: Session) -> None:
    ws = create_workspace(session)
    draft = campaign(session, ws)
    segment = session.get(OutreachSegment, draft.segment_id)
    assert segment is not None
    segment.filters = {"platforms": ["x"] * 50}  # more than a segment may name now
    session.flush()
    with pytest.raises(InvalidInput, match="save it again: platforms"):
        service.plan(session=session, workspace_id=ws.id, campaign=draft)

"""Property-based fuzzing (hypothesis) of the code that reads what people and forged requests send.

Each property says what may come out, whatever goes in: /api/messages answers 2xx or 4xx (never 500) to any
JSON body; the Universal Action reader gives a well-formed action or MalformedAction; the report parsers give a
value or None; a leader command gives a new case version or InvalidCommand/NotAllowed/StaleCard. Example counts
are bounded so the whole file runs in a few seconds; no example database is written (database=None).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app import create_app
from bot.config import Settings
from bot.messages_endpoint import _activity_from
from bot.universal_actions import MalformedAction, read_card_action
from domain.authorization import Actor
from domain.case import Case, CaseStatus
from domain.leader_actions import COMMANDS, InvalidCommand, NotAllowed, StaleCard, Verb, execute
from domain.reporting import (
    MAX_FREE_TEXT,
    MAX_LINKS,
    clean_free_text,
    is_phone_number,
    is_web_link,
    parse_date_and_time,
    parse_links,
    parse_when,
)
from tests.support import case_samples as samples
from tests.support.connector_stub import ConnectorStub

FUZZ = settings(max_examples=200, deadline=None, database=None)
FUZZ_HTTP = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies ---------------------------------------------------------------------------------------------

# Text as people and forged requests send it: any code point, lone surrogates too (JSON "\ud800" decodes to one).
texts = st.text(st.characters(exclude_categories=()), max_size=60)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()  # NaN and ±Infinity too: Python's json reads them
    | texts
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
huge_texts = st.integers(min_value=5_000, max_value=300_000).map(lambda n: "Æ" * n)

_DATE_FORMATS = ("%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%y", "%d.%m.%y")
any_dates = st.dates() | st.sampled_from([date.min, date(1, 1, 2), date.max])  # the edges, more often
written_dates = any_dates.map(date.isoformat) | st.builds(
    lambda day, pattern: day.strftime(pattern), any_dates, st.sampled_from(_DATE_FORMATS)
)
written_times = st.builds(
    lambda hour, minute, separator: f"{hour}{separator}{minute:02d}",
    st.integers(0, 30),
    st.integers(0, 70),
    st.sampled_from([":", "."]),
)
when_texts = (
    texts
    | st.builds(
        lambda day, clock, glue: f"{day}{glue}{clock}", written_dates, written_times, st.sampled_from([" ", " kl. "])
    )
    | st.builds(lambda word, clock: f"{word} {clock}", st.sampled_from(["i dag", "i går", "today"]), written_times)
    | written_dates
)
realistic_now = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


# --- Universal Actions: read_card_action ----------------------------------------------------------------------

versions = (
    st.integers()
    | st.floats()
    | st.booleans()
    | st.none()
    | st.integers(min_value=-5, max_value=10**6).map(str)
    | st.sampled_from([float("inf"), float("-inf"), float("nan"), 1.5, "1e400", "-inf", "1" * 5000, " 3 ", "٣"])
    | texts
)
# from_regex with "^...$" also yields a final "\n", which "$" lets through: how the case id bug was found.
invoke_values = st.fixed_dictionaries(
    {
        "action": st.fixed_dictionaries(
            {
                "type": st.just("Action.Execute"),
                "verb": st.sampled_from([verb.value for verb in Verb]) | st.from_regex(r"^[a-z_]{1,40}$") | texts,
                "data": st.fixed_dictionaries(
                    {
                        "case_id": st.from_regex(r"^[0-9a-f]{32}$") | texts,
                        "version": versions,
                    },
                    optional={"extra": json_values},
                ),
            }
        )
    },
    optional={"trigger": st.just("manual")},
)


@FUZZ
@given(value=json_values | invoke_values)
def test_read_card_action_gives_a_well_formed_action_or_malformed_action(value: object) -> None:
    try:
        action = read_card_action(value)
    except MalformedAction:
        return
    assert re.fullmatch(r"[a-z_]{1,40}", action.verb)
    assert re.fullmatch(r"[0-9a-f]{32}", action.case_id)
    assert type(action.card_version) is int and action.card_version >= 1
    assert isinstance(action.data, dict)


# --- /api/messages: the pure activity reader, then the real aiohttp app ---------------------------------------

CHANNEL_DATA = {"tenant": {"id": samples.TENANT}}


def activities(service_url: str, *, wrong_types: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Teams-shaped activities with odd or huge values; with `wrong_types`, any field may be any JSON too."""

    def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return good | json_values if wrong_types else good

    account = field(st.fixed_dictionaries({"id": texts, "name": texts}, optional={"aadObjectId": texts}))
    attachment = st.fixed_dictionaries(
        {
            "contentType": field(
                st.sampled_from(["application/vnd.microsoft.teams.file.download.info", "image/png", "text/html"])
            ),
            "contentUrl": field(texts),
            "name": field(texts),
            "content": field(st.fixed_dictionaries({"downloadUrl": texts, "fileType": texts})),
        }
    )
    return st.fixed_dictionaries(
        {
            "type": field(st.sampled_from(["message", "invoke", "conversationUpdate", "messageReaction", "event"])),
            "serviceUrl": st.just(service_url),
            "conversation": st.fixed_dictionaries(
                {"id": st.just("a:fuzz") | texts.filter(bool)},
                optional={"conversationType": field(st.just("personal")), "tenantId": field(texts)},
            ),
            "channelId": st.just("msteams"),
        },
        optional={
            "id": field(texts),
            "from": account,
            "recipient": account,
            "text": field(texts | huge_texts),
            "value": field(st.dictionaries(texts, json_values, max_size=4) | invoke_values)
            | st.just({"command": "report"}),
            "name": field(st.sampled_from(["adaptiveCard/action", "fileConsent/invoke", "task/fetch"]) | texts),
            "attachments": field(st.lists(attachment, max_size=3)),
            "channelData": st.just(CHANNEL_DATA) | field(st.dictionaries(texts, json_values, max_size=3)),
            "entities": field(st.lists(st.dictionaries(texts, json_values, max_size=3), max_size=2)),
            "timestamp": st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat) | field(st.just("")),
            "locale": field(texts),
            "replyToId": field(texts),
            "membersAdded": field(st.lists(account, max_size=2)),
        },
    )


@FUZZ
@given(body=json_values | activities("http://127.0.0.1:9/", wrong_types=True))
def test_activity_reader_gives_an_activity_with_a_conversation_or_none(body: object) -> None:
    activity = _activity_from(body)
    if activity is not None:
        assert activity.service_url and activity.conversation is not None and activity.conversation.id


@pytest.fixture(scope="module")
def connector() -> Iterator[ConnectorStub]:
    with ConnectorStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def post(tmp_path_factory: pytest.TempPathFactory, connector: ConnectorStub) -> Iterator[Callable[[bytes], int]]:
    """POST a body to /api/messages of the real app (no app id, local storage) in this process; gives the status."""
    settings_ = Settings(
        _env_file=None,
        microsoft_app_id="",
        allow_unauthenticated=True,
        storage_backend="local",
        data_dir=tmp_path_factory.mktemp("fuzz-data"),
        directory_file=None,
    )
    loop = asyncio.new_event_loop()

    async def start() -> TestClient:
        client = TestClient(TestServer(create_app(settings_)))
        await client.start_server()
        return client

    client = loop.run_until_complete(start())

    async def send(body: bytes) -> int:
        async with client.post("/api/messages", data=body, headers={"Content-Type": "application/json"}) as answer:
            await answer.read()
            return answer.status

    try:
        yield lambda body: loop.run_until_complete(asyncio.wait_for(send(body), 30))
    finally:
        loop.run_until_complete(client.close())
        loop.close()


def _body(value: object) -> bytes:
    return json.dumps(value).encode()  # ASCII with \u escapes: a lone surrogate arrives as JSON sends it


@FUZZ_HTTP
@given(data=st.data())
def test_messages_endpoint_never_answers_500(
    post: Callable[[bytes], int], connector: ConnectorStub, data: st.DataObject
) -> None:
    """2xx or 4xx; the one 5xx allowed is botbuilder's 501 Not Implemented to an invoke it has no handler for."""
    typed, wild = activities(connector.url, wrong_types=False), activities(connector.url, wrong_types=True)
    body = data.draw(st.one_of(json_values, st.binary(), wild, typed, typed, typed))
    status = post(body if isinstance(body, bytes) else _body(body))
    event(f"HTTP {status}")
    unhandled_invoke = isinstance(body, dict) and body.get("type") == "invoke"
    assert 200 <= status < 500 or (status == 501 and unhandled_invoke), status


# --- the report's parsers -------------------------------------------------------------------------------------


@FUZZ
@given(text=when_texts, now=realistic_now)
def test_parse_when_gives_an_aware_time_or_none(text: str, now: datetime) -> None:
    moment = parse_when(text, now)
    assert moment is None or moment.tzinfo is not None


@FUZZ
@given(day=st.one_of(any_dates.map(date.isoformat), texts), clock=st.one_of(written_times, st.just(""), texts))
def test_parse_date_and_time_gives_an_aware_time_or_none(day: str, clock: str) -> None:
    moment = parse_date_and_time(day, clock)
    assert moment is None or moment.tzinfo is not None


links = st.builds(
    lambda scheme, host, rest: f"{scheme}://{host}{rest}",
    st.sampled_from(["http", "https", "HTTPS", "ftp", "javascript"]),
    texts,
    texts,
)


@FUZZ
@given(text=st.lists(links | texts, max_size=30).map(" ".join) | huge_texts)
def test_parse_links_splits_every_piece_into_valid_links_or_the_rest(text: str) -> None:
    valid, invalid = parse_links(text)
    assert len(valid) <= MAX_LINKS
    assert all(is_web_link(link) for link in valid)
    assert not any(is_web_link(piece) for piece in invalid)


@FUZZ
@given(text=texts | links | st.from_regex(r"\+?[0-9 ]{3,25}", fullmatch=True))
def test_phone_and_link_checks_answer_yes_or_no(text: str) -> None:
    assert is_phone_number(text) in (True, False)
    assert is_web_link(text) in (True, False)


@FUZZ
@given(text=texts | huge_texts, limit=st.integers(0, MAX_FREE_TEXT))
def test_clean_free_text_keeps_only_printable_text_within_the_limit(text: str, limit: int) -> None:
    cleaned = clean_free_text(text, limit)
    assert len(cleaned) <= limit
    assert all(ch.isprintable() or ch in "\n\t" for ch in cleaned)
    cleaned.encode("utf-8")  # storable: no lone surrogates


# --- leader commands: execute ---------------------------------------------------------------------------------

ENUM_VALUES = ["phone", "mail", "requested", "removed", "jura", "done", "skipped", "work_injury"]
NOW = samples.REPORTED_AT + timedelta(days=3)
field_values = (
    st.sampled_from(["", "true", "false", "on", "1", "0", "yes", *ENUM_VALUES])
    | st.dates(min_value=NOW.date() - timedelta(days=30), max_value=NOW.date() + timedelta(days=30)).map(date.isoformat)
    | st.dates().map(date.isoformat)
    | st.datetimes().map(datetime.isoformat)
    | links
    | scalars
    | json_values
)


def command_data(verb: Verb) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly the verb's own fields (so validation and apply are reached), sometimes anything else."""
    own = sorted(COMMANDS[verb].model_fields) or ["note"]
    return st.dictionaries(st.sampled_from(own) | texts, field_values, max_size=8)


verbs_with_data = st.sampled_from(list(Verb)).flatmap(lambda verb: st.tuples(st.just(verb), command_data(verb)))
ACTORS = [  # each example is tried by all of them: leadership, the employee (check-ins) and escalated HR
    Actor(samples.LEADER, tenant_id=samples.TENANT),
    Actor(samples.DEPUTY, tenant_id=samples.TENANT),
    Actor(samples.EMPLOYEE, tenant_id=samples.TENANT),
    Actor(samples.HR, is_hr=True, tenant_id=samples.TENANT),
    Actor(samples.STRANGER, tenant_id=samples.TENANT),
]


@FUZZ
@given(
    verb_and_data=verbs_with_data,
    status=st.sampled_from([CaseStatus.REPORTED, CaseStatus.ACKNOWLEDGED, CaseStatus.CLOSED]),
    version_offset=st.sampled_from([0, 0, 0, 0, -1, 1]),
)
def test_execute_gives_a_storable_new_version_or_a_known_refusal(
    verb_and_data: tuple[Verb, dict[str, Any]], status: CaseStatus, version_offset: int
) -> None:
    verb, data = verb_and_data
    case = samples.full_case(status=status)
    for actor in ACTORS:
        try:
            changed = execute(case, verb, data, actor, NOW, case.version + version_offset)
        except (InvalidCommand, NotAllowed, StaleCard) as refusal:
            event(type(refusal).__name__)
            continue
        event("applied")
        assert changed.version == case.version + 1
        assert Case.model_validate_json(changed.model_dump_json()) == changed

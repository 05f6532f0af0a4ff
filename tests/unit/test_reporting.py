"""The rules that decide what an employee's answer means: times, links, phone numbers, free text, and the case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.case import CaseStatus, HarassmentKind, Incident, Person
from domain.evidence import SHORT_ANSWER_MAX_CHARS, EvidenceItem, EvidenceSource, is_pasted_message
from domain.reporting import (
    DEFAULT_TIMEZONE,
    MAX_FREE_TEXT,
    MAX_LINKS,
    ReportDraft,
    clean_free_text,
    is_in_future,
    is_phone_number,
    is_web_link,
    parse_date_and_time,
    parse_links,
    parse_when,
    to_case,
)

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
WINTER_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 11:00 in Copenhagen (+01:00)
SUMMER_NOW = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)  # 12:00 in Copenhagen (+02:00)
REPORTER = Person(user_id="29:reporter", name="Anne Jensen", aad_object_id="aad-anne")


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# parse_when


@pytest.mark.parametrize("text", ["nu", "now", "  Nu ", "lige nu", "just now", "NOW"])
def test_now_words_mean_the_current_moment(text: str) -> None:
    assert parse_when(text, WINTER_NOW) == WINTER_NOW


@pytest.mark.parametrize(
    ("text", "expected_utc"),
    [
        ("i dag 14:30", _utc(2026, 11, 25, 13, 30)),
        ("today 14:30", _utc(2026, 11, 25, 13, 30)),
        ("i dag kl. 14.30", _utc(2026, 11, 25, 13, 30)),
        ("i går 9.15", _utc(2026, 11, 24, 8, 15)),
        ("yesterday at 9:15", _utc(2026, 11, 24, 8, 15)),
        ("i dag", _utc(2026, 11, 25, 11, 0)),
        ("24-11-2026 14:30", _utc(2026, 11, 24, 13, 30)),
        ("24-11-2026 kl 14:30", _utc(2026, 11, 24, 13, 30)),
        ("24/11/2026 14:30", _utc(2026, 11, 24, 13, 30)),
        ("2026-11-24", _utc(2026, 11, 24, 11, 0)),
        ("24.11.26 08:05", _utc(2026, 11, 24, 7, 5)),
    ],
)
def test_winter_times_are_read_as_copenhagen_time_plus_one_hour(text: str, expected_utc: datetime) -> None:
    moment = parse_when(text, WINTER_NOW)
    assert moment == expected_utc
    assert moment is not None and moment.tzinfo is not None
    assert moment.astimezone(COPENHAGEN).utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected_utc"),
    [
        ("i dag 14:30", _utc(2026, 7, 15, 12, 30)),
        ("i går 9.15", _utc(2026, 7, 14, 7, 15)),
        ("24-06-2026 14:30", _utc(2026, 6, 24, 12, 30)),
        ("2026-06-24", _utc(2026, 6, 24, 10, 0)),
        ("24.06.26 08:05", _utc(2026, 6, 24, 6, 5)),
    ],
)
def test_summer_times_are_read_as_copenhagen_time_plus_two_hours(text: str, expected_utc: datetime) -> None:
    moment = parse_when(text, SUMMER_NOW)
    assert moment == expected_utc
    assert moment is not None and moment.tzinfo is not None
    assert moment.astimezone(COPENHAGEN).utcoffset() == timedelta(hours=2)


def test_today_is_the_copenhagen_day_even_when_utc_is_still_yesterday() -> None:
    just_after_midnight_in_copenhagen = _utc(2026, 11, 24, 23, 30)
    moment = parse_when("i dag 00:10", just_after_midnight_in_copenhagen)
    assert moment is not None
    assert moment.astimezone(COPENHAGEN) == datetime(2026, 11, 25, 0, 10, tzinfo=COPENHAGEN)


def test_result_is_in_the_timezone_of_now() -> None:
    moment = parse_when("24-11-2026 14:30", WINTER_NOW)
    assert moment is not None
    assert moment.tzinfo == UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "blabla",
        "i morgen",
        "25:00",
        "i dag 25:00",
        "i går 12:60",
        "i dag om lidt",
        "32-11-2026",
        "24-13-2026 14:30",
        "24-11-2026 14:30 ekstra",
        "24-11-2026 halv tre",
    ],
)
def test_unreadable_times_give_none(text: str) -> None:
    assert parse_when(text, WINTER_NOW) is None


# parse_date_and_time


def test_card_date_and_time_are_combined_in_copenhagen_winter_time() -> None:
    moment = parse_date_and_time("2026-11-24", "14:30")
    assert moment is not None
    assert moment == _utc(2026, 11, 24, 13, 30)
    assert moment.utcoffset() == timedelta(0)
    assert moment.astimezone(DEFAULT_TIMEZONE).utcoffset() == timedelta(hours=1)


def test_card_date_and_time_are_combined_in_copenhagen_summer_time() -> None:
    moment = parse_date_and_time("2026-06-24", "09:05")
    assert moment is not None
    assert moment == _utc(2026, 6, 24, 7, 5)
    assert moment.astimezone(DEFAULT_TIMEZONE).utcoffset() == timedelta(hours=2)


def test_card_date_without_time_means_noon() -> None:
    moment = parse_date_and_time(" 2026-11-24 ", "  ")
    assert moment is not None
    assert moment.astimezone(UTC) == _utc(2026, 11, 24, 11, 0)


@pytest.mark.parametrize(
    ("day", "clock"),
    [("", "14:30"), ("24-11-2026", "14:30"), ("2026-02-30", ""), ("2026-11-24", "25:00"), ("2026-11-24", "kl to")],
)
def test_card_date_or_time_that_cannot_be_read_gives_none(day: str, clock: str) -> None:
    assert parse_date_and_time(day, clock) is None


# is_in_future


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (-timedelta(days=1), False),
        (timedelta(0), False),
        (timedelta(minutes=4, seconds=59), False),
        (timedelta(minutes=5), False),
        (timedelta(minutes=5, seconds=1), True),
        (timedelta(days=1), True),
    ],
)
def test_a_time_counts_as_future_only_beyond_five_minutes_of_clock_skew(offset: timedelta, expected: bool) -> None:
    assert is_in_future(WINTER_NOW + offset, WINTER_NOW) is expected


def test_future_check_compares_instants_across_timezones() -> None:
    local_in_ten_minutes = (WINTER_NOW + timedelta(minutes=10)).astimezone(COPENHAGEN)
    assert is_in_future(local_in_ten_minutes, WINTER_NOW)


# parse_links


def test_http_and_https_links_are_accepted_one_per_line_or_comma_separated() -> None:
    text = "https://www.facebook.com/groups/1/posts/2\nhttp://example.dk/side?id=3, https://x.com/user/status/4"
    valid, invalid = parse_links(text)
    assert valid == [
        "https://www.facebook.com/groups/1/posts/2",
        "http://example.dk/side?id=3",
        "https://x.com/user/status/4",
    ]
    assert invalid == []


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "ftp://example.com/fil.txt",
        "file:///etc/passwd",
        "data:text/plain;charset=utf-8",
        "http://localhost/admin",
        "https://intranet/side",
        "www.example.com",
        "https://",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_links_that_are_not_public_web_addresses_are_refused(link: str) -> None:
    valid, invalid = parse_links(link)
    assert valid == []
    assert invalid == [link]
    assert not is_web_link(link)


def test_a_link_with_a_space_is_not_accepted_whole() -> None:
    valid, invalid = parse_links("https://exa mple.com/side")
    assert valid == []
    assert invalid == ["https://exa", "mple.com/side"]
    assert not is_web_link("https://example.com/en side")


def test_link_of_exactly_the_maximum_length_is_accepted() -> None:
    link = "https://example.com/".ljust(2048, "a")
    assert is_web_link(link)


def test_valid_and_invalid_links_are_separated() -> None:
    valid, invalid = parse_links("https://example.com/a javascript:alert(1) https://example.com/b")
    assert valid == ["https://example.com/a", "https://example.com/b"]
    assert invalid == ["javascript:alert(1)"]


def test_at_most_the_maximum_number_of_links_are_kept() -> None:
    valid, _ = parse_links("\n".join(f"https://example.com/{n}" for n in range(MAX_LINKS + 5)))
    assert len(valid) == MAX_LINKS
    assert valid[-1] == f"https://example.com/{MAX_LINKS - 1}"


def test_empty_links_answer_gives_nothing() -> None:
    assert parse_links("  \n ") == ([], [])


# is_phone_number


@pytest.mark.parametrize("text", ["12345678", "12 34 56 78", "+45 12 34 56 78", "+4512345678", " 89 70 12 99 "])
def test_phone_numbers_with_digits_spaces_and_plus_are_accepted(text: str) -> None:
    assert is_phone_number(text)


@pytest.mark.parametrize("text", ["", "1234", "12-34-56-78", "tlf 12345678", "++4512345678", "12 34 56 7a", "1" * 21])
def test_other_phone_numbers_are_refused(text: str) -> None:
    assert not is_phone_number(text)


# clean_free_text


def test_free_text_loses_control_characters_but_keeps_lines_and_danish_letters() -> None:
    text = "  Han skrev:\x00 \u201dDu skal passe på\u201d\x07\r\nÆble, øl og å – ÆØÅ\tslut\x1b[31m  "
    assert clean_free_text(text) == "Han skrev: \u201dDu skal passe på\u201d\nÆble, øl og å – ÆØÅ\tslut[31m"


def test_free_text_is_truncated_to_the_limit() -> None:
    assert len(clean_free_text("æ" * (MAX_FREE_TEXT + 500))) == MAX_FREE_TEXT
    assert clean_free_text("abcdef", limit=3) == "abc"


def test_empty_free_text_stays_empty() -> None:
    assert clean_free_text(" \x00\n ") == ""


# to_case


def _evidence() -> list[EvidenceItem]:
    return [
        EvidenceItem(
            evidence_id="ev-1",
            case_id="case-1",
            sha256="ab" * 32,
            size=2048,
            content_type="image/png",
            original_name="screenshot.png",
            received_at=_utc(2026, 11, 24, 13, 40),
            uploaded_by=REPORTER.user_id,
            source=EvidenceSource.TEAMS_FILE,
        )
    ]


def _draft(on_behalf_of: str | None = None) -> ReportDraft:
    return ReportDraft(
        case_id="case-1",
        reporter=REPORTER,
        on_behalf_of=on_behalf_of,
        incident=Incident(urgent=True, kinds=[HarassmentKind.THREATS], description="Trussel i kommentarfeltet."),
        locale="en",
        tenant_id="tenant-1",
    )


def test_a_self_report_makes_the_reporter_the_subject() -> None:
    evidence = _evidence()
    case = to_case(_draft(), reference="VAERN-0042", evidence=evidence, now=WINTER_NOW, status=CaseStatus.REPORTED)
    assert case.subject == REPORTER
    assert case.reporter == REPORTER
    assert not case.reported_on_behalf
    assert case.case_id == "case-1"
    assert case.reference == "VAERN-0042"
    assert case.status is CaseStatus.REPORTED
    assert case.evidence == evidence
    assert case.created_at == WINTER_NOW
    assert case.incident == _draft().incident
    assert case.locale == "en"
    assert case.tenant_id == "tenant-1"


def test_an_on_behalf_report_names_the_colleague_as_subject_and_keeps_the_reporter() -> None:
    case = to_case(_draft("Mette Hansen"), reference="VAERN-0043", evidence=[], now=WINTER_NOW, status=CaseStatus.DRAFT)
    assert case.subject.name == "Mette Hansen"
    assert case.subject.user_id != REPORTER.user_id
    assert case.reporter == REPORTER
    assert case.reported_on_behalf
    assert case.status is CaseStatus.DRAFT
    assert case.evidence == []


# --- a message pasted at a question is evidence, not the answer -------------------------------------------------

SMS = "Fra: +45 22 33 44 55\nJeg ved hvor du bor.\nPas på dig selv, når du går hjem."


@pytest.mark.parametrize(
    "text",
    [
        SMS,  # several lines: a pasted SMS or mail
        "> Jens Borger skrev:\n> Du er en skam for kommunen",  # quoted into the chat
        "Du er den mest inkompetente sagsbehandler " * 6,  # one long line (over 200 characters)
        "\nJeg ved hvor du bor\n\nPas på",
    ],
)
def test_a_pasted_message_at_a_short_answer_question_is_evidence(text: str) -> None:
    assert is_pasted_message(text, expects_short_answer=True)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "i går",
        "i går kl. 14:30",
        "Jens Hansen",
        "Lars Nielsen, 98 76 54 32",
        "trusler, hån",
        "3",
        "annuller",
        "x" * SHORT_ANSWER_MAX_CHARS,  # the longest short answer
        "  Jens Hansen  \n",  # one line with a trailing newline
    ],
)
def test_a_short_one_line_answer_stays_the_answer(text: str) -> None:
    assert not is_pasted_message(text, expects_short_answer=True)


@pytest.mark.parametrize("text", [SMS, "En borger skrev om mig " * 20])
def test_at_a_free_text_question_the_text_is_the_answer(text: str) -> None:
    assert not is_pasted_message(text, expects_short_answer=False)  # the description: what happened, any length

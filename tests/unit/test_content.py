"""Danish and English texts match, cover every choice the bot offers, and leave the offender to the leader; the
words typed for commands are in content/ for both languages."""

from __future__ import annotations

import string
import tomllib
from pathlib import Path

import pytest

import content
from bot.handler import TYPED_COMMANDS
from cards.case_package import COMMANDS as PACKAGE_COMMANDS
from content import COMMANDS, SUPPORTED, Texts, command_ids, command_words, forms, language_for, load_table, texts_for
from dialogs.replies import Reply
from domain.case import Channel, HarassmentKind, OffenderRelation
from domain.refusals import RefusalReason

CONTENT_FOLDER = Path(content.__file__).parent
LANGUAGES = list(SUPPORTED)
LEADER_WORD = {"da": "leder", "en": "leader"}
# Advice to deal with the offender oneself; the guideline leaves all contact with the offender to the leader.
SELF_CONTACT_PHRASES = (
    "svar krænkeren",
    "svar på krænkerens",
    "kontakt krænkeren",
    "skriv til krænkeren",
    "ring til krænkeren",
    "reply to the offender",
    "answer the offender",
    "contact the offender",
    "write to the offender",
    "call the offender",
)


def _table(language: str) -> dict[str, dict[str, str]]:
    """Every text of a language as the bot loads it: <language>.toml and the feature files beside it."""
    return load_table(language)


def _all_texts(language: str) -> list[tuple[str, str]]:
    """Every template as (key, text); a text with plural forms gives one pair per form."""
    return [
        (f"{section}.{key}", form)
        for section, keys in _table(language).items()
        for key, entry in keys.items()
        for form in forms(entry)
    ]


def _plural_entries(language: str) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"{section}.{key}", entry)
        for section, keys in _table(language).items()
        for key, entry in keys.items()
        if isinstance(entry, dict)
    ]


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_both_languages_have_the_same_sections_and_keys() -> None:
    danish, english = _table("da"), _table("en")
    assert danish.keys() == english.keys()
    for section in danish:
        assert danish[section].keys() == english[section].keys(), section


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_a_non_empty_string(language: str) -> None:
    for key, text in _all_texts(language):
        assert isinstance(text, str), key
        assert text.strip(), key


def test_english_uses_every_placeholder_the_danish_text_uses() -> None:
    english = dict(_all_texts("en"))
    for key, danish_text in _all_texts("da"):
        missing = _placeholders(danish_text) - _placeholders(english[key])
        assert not missing, f"{key}: English lacks {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_can_be_filled_in(language: str) -> None:
    texts = texts_for(language, "89 70 12 99")
    plural = dict(_plural_entries(language))
    for key, template in _all_texts(language):
        values: dict[str, object] = {name: f"<{name}>" for name in _placeholders(template) if name != "crisis_line"}
        if key in plural:
            values[plural[key].get("by", "count")] = 2
        filled = texts(key, **values)
        assert "{" not in filled and "}" not in filled, key


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("en-US", "en"),
        ("en-GB", "en"),
        ("EN-us", "en"),
        ("en", "en"),
        ("da-DK", "da"),
        ("da", "da"),
        (None, "da"),
        ("", "da"),
        ("de-DE", "da"),
        ("sv-SE", "da"),
    ],
)
def test_language_is_english_only_for_english_locales(locale: str | None, language: str) -> None:
    assert language_for(locale) == language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "key",
    [f"kinds.{kind.value}" for kind in HarassmentKind]
    + [f"channel.{channel.value}" for channel in Channel]
    + [f"offender.{relation.value}" for relation in OffenderRelation],
)
def test_every_choice_has_a_label(language: str, key: str) -> None:
    texts = Texts(language)
    assert texts.has(key)
    assert texts(key).strip()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("reason", list(RefusalReason), ids=[reason.value for reason in RefusalReason])
def test_every_refusal_reason_has_a_text_naming_the_file(language: str, reason: RefusalReason) -> None:
    key = f"evidence.refused_{reason.value}"
    texts = Texts(language)
    assert texts.has(key)
    assert "{name}" in _table(language)["evidence"][f"refused_{reason.value}"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_tells_the_employee_to_contact_the_offender(language: str) -> None:
    for key, text in _all_texts(language):
        lowered = text.lower()
        for phrase in SELF_CONTACT_PHRASES:
            assert phrase not in lowered, f"{language} {key}: {phrase!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_contact_with_the_offender_is_left_to_the_leader(language: str) -> None:
    assert LEADER_WORD[language] in Texts(language)("common.leader_handles_offender").lower()


@pytest.mark.parametrize("language", LANGUAGES)
def test_crisis_line_text_shows_the_configured_number(language: str) -> None:
    assert "89 70 12 99" in texts_for(language, "89 70 12 99")("common.crisis_line")


# Texts that name the crisis line without its number because the number is beside them on the same screen: the
# check-in card and the Overblik tab close with it, and the plan's contact list gives it after the label.
NUMBER_BESIDE = {"check_in.stopped_contact", "check_in.stopped_contact_named", "tab.not_allowed_body",
                 "plan_card.contact_crisis_line"}  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_text_that_sends_someone_to_the_crisis_line_gives_its_number(language: str) -> None:
    """A plain chat message has no card under it to carry the number: an upset employee told to call the crisis
    line is told its number in the same message."""
    naming = [
        (key, text)
        for key, text in _all_texts(language)
        if ("krisetelefon" in text.lower() or "crisis line" in text.lower()) and key not in NUMBER_BESIDE
    ]
    assert naming
    without_number = [key for key, text in naming if "{crisis_line}" not in text]
    assert without_number == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_reminders_name_the_button_the_card_really_has(language: str) -> None:
    texts = Texts(language)
    button = texts("actions.acknowledge")
    for key in ("follow_up.ack_reminder", "follow_up.ack_hr_leader"):
        for template in forms(_table(language)["follow_up"][key.split(".")[1]]):
            assert button in template, (key, template)


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_say_what_is_true(language: str) -> None:
    everything = " ".join(text for _key, text in _all_texts(language)).lower()
    # The revision reminder exists (leader and last editor are reminded on the revision date).
    assert "ingen planlægger" not in everything and "no reminder scheduler" not in everything
    # The guideline says debriefing; one statement about offererstatning's 72 hours, not two.
    assert "defusing" not in everything
    assert "kan kræve" not in everything and "may require" not in everything and "normally requires" not in everything
    # Sending the case to the work environment group is not the group having discussed it.
    update = _table(language)["employee_update"]["work_environment"].lower()
    assert "drøftet" not in update and "discussed" not in update


@pytest.mark.parametrize("language", LANGUAGES)
def test_blocking_a_work_mailbox_or_phone_is_agreed_with_the_leader(language: str) -> None:
    for key in ("email", "sms", "phone"):
        advice = next(
            text
            for name, text in _all_texts(language)
            if name.endswith(f".{key}") and ("blok" in text.lower() or "block" in text.lower())
        )
        assert LEADER_WORD[language] in advice, advice


def test_the_law_card_states_section_275_and_268_in_full() -> None:
    danish = Texts("da")
    assert "§ 275, stk. 2" in danish("law.s275_request_text")
    for part in ("§§ 263–264 d", "§ 268", "offentlig stilling", "anonymt"):
        assert part in danish("law.s275_request_text"), part
    assert "rimelig grund" in danish("law.s267_text")
    english = Texts("en")
    assert "§ 275(2)" in english("law.s275_request_text") and "reasonable grounds" in english("law.s267_text")


# Numbers: every text that shows a count has a singular and a plural form, chosen by the language's plural rule.
COUNTED = ("count", "days", "years", "hours", "minutes")
WRONG_SINGULARS = (
    "1 beviser",
    "1 filer",
    "1 nye",
    "gang(e)",
    "bevis(er)",
    "1 dage",
    "(s)",
    "1 pieces",
    "1 files",
    "1 days",
    "1 years",
    "1 times",
    "1 links",
    "1 earlier pieces",
    "1 arbejdstimer",
    "1 minutter",
    "1 working hours",
    "1 minutes",
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_with_a_count_has_plural_forms(language: str) -> None:
    for section, keys in _table(language).items():
        for key, entry in keys.items():
            if isinstance(entry, str):
                assert not _placeholders(entry) & set(COUNTED), f"{section}.{key} needs one/other forms"
            else:
                assert {"one", "other"} <= entry.keys() and entry.get("by", "count") in COUNTED, f"{section}.{key}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_reads_as_one_and_zero_and_two_as_many(language: str) -> None:
    texts = texts_for(language, "89 70 12 99")
    for key, entry in _plural_entries(language):
        counted = entry.get("by", "count")
        others = {name: f"<{name}>" for name in _placeholders(entry["other"]) | _placeholders(entry["one"])}
        rendered = {number: texts(key, **(others | {counted: number})) for number in (0, 1, 2)}
        assert not [wrong for wrong in WRONG_SINGULARS if wrong in rendered[1]], (key, rendered[1])
        for number, text in rendered.items():
            assert "(s)" not in text and "(er)" not in text and "(e)" not in text, (key, text)
            if "{" + counted + "}" in entry["one" if number == 1 else "other"]:
                assert str(number) in text, (key, text)
        # Danish and English: 1 takes the singular form, 0 and 2 the plural form.
        assert rendered[1] == entry["one"].format_map(_Filled(others | {counted: 1})), key
        assert rendered[0] == entry["other"].format_map(_Filled(others | {counted: 0})), key
        assert rendered[2] == entry["other"].format_map(_Filled(others | {counted: 2})), key


class _Filled(dict[str, object]):
    """The values given, and the crisis line and organisation as texts_for fills them."""

    def __missing__(self, key: str) -> str:
        return {"crisis_line": "89 70 12 99", "organisation": content.DEFAULT_ORGANISATION}[key]


def test_plural_forms_follow_babel_for_danish_and_english() -> None:
    assert Texts("da")("evidence.summary", count=1) == "Du har gemt 1 bevis."
    assert Texts("da")("evidence.summary", count=0) == "Du har gemt 0 beviser."
    assert Texts("en")("leader.evidence_count", count=1) == "1 file"
    assert Texts("da")("handling.offender_contacted_value", count=2, method="brev", date="1.1") == (
        "2 gange, senest brev 1.1"
    )
    # Hours and minutes come as the text of a setting ("24", "1.5"): chosen by the number it says.
    assert "within 1 working hour " in Texts("en")("follow_up.ack_hr_leader", reference="R", hours="1")
    assert "inden for 24 arbejdstimer " in Texts("da")("follow_up.ack_hr_leader", reference="R", hours="24")
    assert "within 1.5 working hours " in Texts("en")("follow_up.ack_hr_leader", reference="R", hours="1.5")


# Command words: what a person may type instead of pressing a button, in content/<language>/commands.toml.
REPLY_IDS = ("cancel", "back", "help", "done", "none", "no_links", "yes", "no", "send", "me", "colleague", "unknown")


def _command_table(language: str) -> dict[str, list[str]]:
    with open(CONTENT_FOLDER / language / "commands.toml", "rb") as handle:
        return tomllib.load(handle)[COMMANDS]


def test_both_languages_have_words_for_the_same_commands() -> None:
    assert _command_table("da").keys() == _command_table("en").keys()


@pytest.mark.parametrize("language", LANGUAGES)
def test_command_words_are_written_as_typed_text_is_folded(language: str) -> None:
    for command, words in _command_table(language).items():
        assert words and all(isinstance(word, str) for word in words), command
        for word in words:
            assert word == Reply(text=word).word, (command, word)


def test_every_command_the_code_names_has_words_in_both_languages() -> None:
    for command in (*TYPED_COMMANDS, *PACKAGE_COMMANDS.values(), "plan_save", *REPLY_IDS):
        for language in LANGUAGES:
            assert _command_table(language).get(command), (language, command)
        assert command_words(command)
    assert command_ids() == {*TYPED_COMMANDS, *PACKAGE_COMMANDS.values(), "plan_save", *REPLY_IDS}
    with pytest.raises(KeyError):
        command_words("no such command")


def test_a_typed_word_means_one_menu_command_only() -> None:
    menu = (*TYPED_COMMANDS, *PACKAGE_COMMANDS.values())
    for first in menu:
        for second in menu:
            if first != second:
                assert not command_words(first) & command_words(second), (first, second)


def test_command_words_count_in_every_language() -> None:
    assert {"anmeld", "report"} <= command_words("report")
    assert {"færdig", "done"} <= command_words("done")
    assert Texts("da").word_for("police_package") == "politipakke"
    assert Texts("en").word_for("police_package") == "police package"
    assert "commands" not in load_table("da") and "commands" not in load_table("en")


# Said at the moment a message is only queued in the outbox (it may wait there through a Teams outage): they say
# the person *will* hear, never that they already have.
QUEUED_WHEN_SAID = (
    "submitted.on_behalf_told",
    "leader_lookup.changed",
    "check_in.leader_informed",
    "reopen_request.asked_leader",
    "reopen_request.asked_hr",
    "reopen_request.already_asked",
    "add_evidence.finished",
    "add_evidence.finished_other",
    "add_evidence.finished_hr",
    "urgent.receipt_leader",
    "urgent.receipt_both",
    "urgent.receipt_other_both",
)
DELIVERED_CLAIMS = ("har fået", "beskeden er sendt", "has been told", "have been told", "got it", "has been sent")


@pytest.mark.parametrize("language", SUPPORTED)
@pytest.mark.parametrize("key", QUEUED_WHEN_SAID)
def test_a_text_said_while_the_message_is_only_queued_does_not_claim_it_arrived(language: str, key: str) -> None:
    text = Texts(language)(key, name="N", leader="L", reference="R", date="D", count=2).lower()
    assert not [claim for claim in DELIVERED_CLAIMS if claim in text]

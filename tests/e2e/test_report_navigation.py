"""Back, cancel, edit, help, stale cards and a restart in the middle of a report."""

from __future__ import annotations

import re
import uuid

from tests.e2e.report_walk import answer_from, answer_until
from tests.support.evidence_files import png_screenshot
from tests.support.stored import cases_reported_by
from tests.support.teams import TeamsUser, texts


def joined(turn: list[dict]) -> str:
    return "\n".join(texts(turn))


def test_back_returns_to_the_previous_question(user: TeamsUser) -> None:
    answer_until(user, "channel")
    assert "Lidt om omstændighederne" in joined(user.say("tilbage"))


def test_back_button_on_the_current_card_goes_back(user: TeamsUser) -> None:
    answer_until(user, "when")
    assert "Hvor skete det?" in joined(user.submit({"q": "when", "nav": "back"}))


def test_cancel_stops_and_nothing_is_stored(bot, user: TeamsUser) -> None:
    answer_until(user, "description")
    seen = joined(user.say("annuller"))
    assert "Anmeldelsen er stoppet" in seen and "89 70 12 99" in seen  # no card follows: the message carries it
    assert cases_reported_by(bot, user.user_id) == []
    assert "Anmeld en krænkelse" in joined(user.say("hej"))


def test_cancel_after_evidence_keeps_the_evidence_in_a_draft(bot, user: TeamsUser, file_server) -> None:
    url = file_server.add(f"/personal/{uuid.uuid4().hex}/bevis.png", png_screenshot(), "image/png")
    answer_until(user, "evidence")
    user.send_files([("bevis.png", url)])
    seen = joined(user.submit({"q": "evidence", "nav": "cancel"}))
    assert "Det bevis, du sendte" in seen and "gemt sikkert" in seen and "89 70 12 99" in seen
    drafts = cases_reported_by(bot, user.user_id)
    assert len(drafts) == 1 and drafts[0].status == "draft"
    assert [item.original_name for item in drafts[0].evidence] == ["bevis.png"]


def test_edit_from_the_summary_returns_to_the_summary(user: TeamsUser) -> None:
    answer_until(user, "summary")
    seen = joined(user.submit({"q": "summary", "answer": "edit", "section": "channel"}))
    assert "Hvor skete det?" in seen
    seen = joined(user.submit({"q": "channel", "channel": "instagram"}))
    assert "Tjek din anmeldelse" in seen and "Instagram" in seen


def test_help_inside_the_report_repeats_the_question_with_the_crisis_line(user: TeamsUser) -> None:
    answer_until(user, "kinds")
    seen = joined(user.say("hjælp"))
    assert "89 70 12 99" in seen and "tilbage" in seen and "Hvad er der sket?" in seen


def test_a_click_on_an_old_card_is_recognised(user: TeamsUser) -> None:
    answer_until(user, "channel")
    seen = joined(user.submit({"q": "safety", "answer": "yes"}))
    assert "tidligere trin" in seen and "Hvor skete det?" in seen


def test_report_resumes_after_the_bot_is_killed_mid_dialog(bot, user: TeamsUser) -> None:
    answer_until(user, "channel")
    bot.process.kill()
    bot.process.restart()
    seen = joined(user.submit({"q": "channel", "channel": "tiktok"}))
    assert "Hvornår skete det?" in seen
    answer = user.submit({"q": "when", "answer": "now"})
    assert "Beskriv med dine egne ord" in joined(answer)


def test_reference_numbers_increase(bot, new_user) -> None:
    references = []
    for _ in range(2):
        user = new_user()
        answer_until(user, "summary")
        seen = joined(user.submit({"q": "summary", "answer": "confirm"}))
        references.append(re.search(r"VK-(\d{4})-(\d{4})", seen).groups())
    assert references[0][0] == references[1][0]
    assert int(references[1][1]) > int(references[0][1])


def test_a_menu_button_in_the_middle_of_a_report_is_not_taken_as_an_answer(user: TeamsUser) -> None:
    """A button of another card (the welcome card's "Mine sager", "Anmeld") pressed mid-report: the person hears
    they are in a report and gets the same question again; nothing is recorded for it and the report goes on."""
    answer_until(user, "context")
    seen = joined(user.submit({"command": "my_cases"}))
    assert "i gang med en anmeldelse" in seen and "Lidt om omstændighederne" in seen and "Hvor skete" not in seen
    assert "Hvor skete det?" in joined(user.submit({"q": "context", "during_work": "yes", "colleagues_targeted": "no"}))
    answer_from(user, "channel", "offender")
    seen = joined(user.submit({"command": "report"}))
    assert "i gang med en anmeldelse" in seen and "Ved du, hvem" in seen and "kunne jeg ikke bruge" not in seen
    summary = joined(answer_from(user, "offender"))
    assert "Jens Hansen" in summary and "I arbejdstiden" in summary


def test_an_old_report_card_or_help_while_naming_the_leader_is_not_a_name(user: TeamsUser) -> None:
    """After the report is sent to nobody yet (the directory has no leader for the person), a second tap on "Send"
    or "hjælp" is not searched for as a leader's name: the person hears the report is sent and is asked again."""
    answer_until(user, "summary")
    user.submit({"q": "summary", "answer": "confirm"})
    seen = joined(user.submit({"q": "summary", "answer": "confirm"}))
    assert "allerede sendt" in seen and "fandt ingen" not in seen and "89 70 12 99" in seen
    seen = joined(user.say("hjælp"))
    assert "fandt ingen" not in seen and "leders navn" in seen and "89 70 12 99" in seen

"""An employee reports harassment in a personal chat, end to end over HTTP, on both storage backends."""

from __future__ import annotations

import hashlib
import re
import uuid

from cards.validation import teams_card_problems
from tests.e2e.report_walk import TWO_DAYS_AGO, answer_from, answer_until, start_report
from tests.support.evidence_files import jpeg_photo, png_screenshot
from tests.support.file_server import FileServer
from tests.support.markdown import shown as as_read
from tests.support.stored import case_with_reference, evidence_bytes
from tests.support.teams import TeamsUser, cards, texts

CRISIS_LINE = "89 70 12 99"
REFERENCE = re.compile(r"VK-\d{4}-\d{4}")


def joined(turn: list[dict]) -> str:
    return "\n".join(texts(turn))


def assert_valid_cards(turn: list[dict]) -> None:
    for card in cards(turn):
        assert teams_card_problems(card) == []


def test_hello_shows_the_menu_and_the_crisis_line(user: TeamsUser) -> None:
    turn = user.say("hej")
    seen = joined(turn)
    assert "Anmeld en krænkelse" in seen
    assert "Mine sager" in seen
    assert CRISIS_LINE in seen
    assert_valid_cards(turn)


def test_english_locale_gets_english_texts(new_user) -> None:
    user = new_user(locale="en-US")
    seen = joined(user.say("help"))
    assert "Report harassment" in seen
    assert CRISIS_LINE in seen


def test_full_report_with_two_screenshots_and_a_pasted_sms_is_stored_with_hashes(
    bot, user: TeamsUser, file_server: FileServer
) -> None:
    screenshot = png_screenshot()
    photo = jpeg_photo()
    sms = "SMS fra 22 33 44 55: Jeg ved hvor du bor. Pas på dig selv."
    first = file_server.add(f"/personal/{uuid.uuid4().hex}/skaermbillede.png", screenshot, "image/png")
    second = file_server.add(f"/personal/{uuid.uuid4().hex}/IMG_2041.jpg", photo, "image/jpeg")

    turn = start_report(user)
    assert "akut fare" in joined(turn)
    turn = user.submit({"q": "safety", "answer": "no"})
    turn = user.submit({"q": "subject", "answer": "me"})
    turn = user.submit({"q": "kinds", "kinds": "threats,private_information"})
    turn = user.submit({"q": "context", "during_work": "no", "colleagues_targeted": "yes"})
    turn = user.submit({"q": "channel", "channel": "sms"})
    turn = user.submit({"q": "when", "date": TWO_DAYS_AGO, "time": "21:15"})
    assert "hvem, hvad, hvor og hvornår" in joined(turn)
    turn = user.submit({"q": "description", "description": "Jeg fik en truende SMS om aftenen."})
    seen = joined(turn)
    assert "Det er din leders opgave" in seen
    offender = {"offender_name": "", "offender_profile": "22 33 44 55", "offender_relation": "parent"}
    turn = user.submit({"q": "offender", **offender})
    turn = user.submit({"q": "links", "answer": "none"})
    witness = {"witness_name": "Mette Kollega", "witness_phone": "+45 12 34 56 78"}
    turn = user.submit({"q": "witnesses", "answer": "add", **witness})
    assert "Mette Kollega" in joined(turn)
    turn = user.submit({"q": "witnesses", "answer": "done"})
    turn = user.submit({"q": "impact", "impact_score": "4", "impact_text": "Jeg sover dårligt"})
    seen = joined(turn)
    assert CRISIS_LINE in seen and "egen læge" in seen
    assert "Gem beviserne nu" in seen

    turn = user.send_files([("skaermbillede.png", first), ("IMG_2041.jpg", second)])
    seen = joined(turn)
    assert hashlib.sha256(screenshot).hexdigest()[:12] in seen
    assert hashlib.sha256(photo).hexdigest()[:12] in seen
    assert seen.count("Gemt") == 2
    messages = texts(turn)
    assert len(messages) == 2, "the first file's outcome at once; the last one's with the count, in one message"
    assert "IMG_2041.jpg" in as_read(messages[-1]) and "gemt 2 beviser" in messages[-1]  # the name, escaped
    turn = user.submit({"q": "evidence", "answer": "text", "pasted_text": sms})
    assert len(texts(turn)) == 1
    assert hashlib.sha256(sms.encode()).hexdigest()[:12] in joined(turn) and "gemt 3 beviser" in joined(turn)

    turn = user.submit({"q": "evidence", "answer": "done"})
    seen = joined(turn)
    assert "Tjek din anmeldelse" in seen
    assert "skaermbillede.png" in seen and "Mette Kollega" in seen
    assert_valid_cards(turn)

    turn = user.submit({"q": "summary", "answer": "confirm"})
    seen = joined(turn)
    reference = REFERENCE.search(seen)
    assert reference, seen
    assert "du skal ikke selv svare" in seen
    assert CRISIS_LINE in seen

    case = case_with_reference(bot, reference.group())
    assert case.status == "reported"
    assert case.subject.user_id == user.user_id and not case.reported_on_behalf
    assert case.tenant_id == user.tenant_id
    incident = case.incident
    assert [kind.value for kind in incident.kinds] == ["threats", "private_information"]
    assert incident.during_work_hours is False and incident.colleagues_targeted is True
    assert incident.channel == "sms"
    assert incident.offender.relation == "parent" and incident.offender.profile == "22 33 44 55"
    assert incident.witnesses[0].name == "Mette Kollega"
    assert incident.impact is not None and incident.impact.score == 4
    assert incident.occurred_at is not None and incident.occurred_at.isoformat().startswith(TWO_DAYS_AGO[:4])

    by_name = {item.original_name: item for item in case.evidence}
    assert set(by_name) == {"skaermbillede.png", "IMG_2041.jpg", "tekst-3.txt"}
    expected = {"skaermbillede.png": screenshot, "IMG_2041.jpg": photo, "tekst-3.txt": sms.encode()}
    for name, content in expected.items():
        item = by_name[name]
        assert item.sha256 == hashlib.sha256(content).hexdigest()
        assert item.size == len(content)
        assert item.uploaded_by == user.user_id
        assert evidence_bytes(bot, item) == content
    assert by_name["skaermbillede.png"].content_type == "image/png"
    assert by_name["IMG_2041.jpg"].content_type == "image/jpeg"
    assert by_name["tekst-3.txt"].content_type == "text/plain"
    assert by_name["skaermbillede.png"].received_at <= case.created_at


def test_a_slow_download_shows_the_typing_indicator_until_its_outcome_and_never_after(
    bot, user: TeamsUser, file_server: FileServer
) -> None:
    prefix = png_screenshot(shade=120)
    size = len(prefix) + 16 * 64 * 1024  # sixteen blocks of 64 KiB, 0.2 s each: about 3.3 s
    url = file_server.add_generated(
        f"/personal/{uuid.uuid4().hex}/optagelse.png",
        size,
        b"\x01",
        prefix=prefix,
        content_type="image/png",
        delay_per_block=0.2,
    )
    answer_until(user, "evidence")

    turn = user.send_files([("optagelse.png", url)])

    kinds = [activity.get("type") for activity in turn]
    assert kinds.count("typing") >= 2, kinds  # after 0.5 s, then every 2 s while the download runs
    assert kinds[-1] == "message" and "typing" not in kinds[kinds.index("message") :], kinds
    assert "optagelse.png" in joined(turn) and "gemt 1 bevis." in joined(turn)


def test_inline_image_is_secured(bot, user: TeamsUser, file_server: FileServer) -> None:
    image = png_screenshot(shade=90)
    url = file_server.add(f"/v1/objects/{uuid.uuid4().hex}/views/original", image, "image/png")
    answer_until(user, "evidence")
    turn = user.send_inline_image(url)
    assert hashlib.sha256(image).hexdigest()[:12] in joined(turn)


def test_a_file_sent_before_any_report_starts_one_and_is_secured(bot, user: TeamsUser, file_server: FileServer) -> None:
    screenshot = png_screenshot(shade=10)
    url = file_server.add(f"/personal/{uuid.uuid4().hex}/trussel.png", screenshot, "image/png")
    turn = user.send_files([("trussel.png", url)])
    seen = joined(turn)
    assert "Jeg har modtaget din fil" in seen
    assert hashlib.sha256(screenshot).hexdigest()[:12] in seen
    assert "akut fare" in seen


def test_a_screenshot_sent_at_the_first_questions_is_secured_and_in_the_case_with_its_hash(
    bot, user: TeamsUser, file_server: FileServer
) -> None:
    screenshot = png_screenshot(shade=44)
    url = file_server.add(f"/personal/{uuid.uuid4().hex}/kommentar.png", screenshot, "image/png")
    start_report(user)
    user.submit({"q": "safety", "answer": "no"})
    user.submit({"q": "subject", "answer": "me"})

    turn = user.send_files([("kommentar.png", url)])  # at the kinds question
    seen = joined(turn)
    digest = hashlib.sha256(screenshot).hexdigest()
    assert "✅ Gemt" in seen and digest[:12] in seen
    assert "Vælg mindst én type" not in seen
    assert any(element.get("id") == "kinds" for card in cards(turn) for element in _elements(card))  # asked again

    answer_from(user, "kinds", "evidence")
    turn = user.submit({"q": "evidence", "answer": "done"})
    assert "kommentar.png" in joined(turn)  # the summary lists it
    reference = REFERENCE.search(joined(user.submit({"q": "summary", "answer": "confirm"})))
    assert reference
    case = case_with_reference(bot, reference.group())
    [item] = case.evidence
    assert item.original_name == "kommentar.png" and item.sha256 == digest
    assert evidence_bytes(bot, item) == screenshot


def test_a_message_pasted_at_a_short_answer_question_is_secured_and_at_the_description_it_is_the_description(
    bot, user: TeamsUser
) -> None:
    sms = "SMS fra 22 33 44 55:\nJeg ved hvor du bor.\nPas på dig selv, når du går hjem."
    start_report(user)
    user.submit({"q": "safety", "answer": "no"})
    user.submit({"q": "subject", "answer": "me"})

    turn = user.say(sms)  # pasted at the kinds question
    seen = joined(turn)
    digest = hashlib.sha256(sms.encode()).hexdigest()
    assert "✅ Teksten er gemt som bevis" in seen and digest[:12] in seen and "indsat besked" in seen
    assert "Vælg mindst én type" not in seen
    assert any(element.get("id") == "kinds" for card in cards(turn) for element in _elements(card))  # asked again

    answer_from(user, "kinds", "when")
    turn = user.say("i går")  # a short typed answer is still the answer
    assert any(element.get("id") == "description" for card in cards(turn) for element in _elements(card))
    assert "gemt som bevis" not in joined(turn)
    turn = user.say(sms)  # at the description: it is the description
    assert "gemt som bevis" not in joined(turn)
    answer_from(user, "offender", "evidence")
    user.submit({"q": "evidence", "answer": "done"})
    reference = REFERENCE.search(joined(user.submit({"q": "summary", "answer": "confirm"})))
    assert reference
    case = case_with_reference(bot, reference.group())
    [item] = case.evidence
    assert item.source == "pasted_text" and item.sha256 == digest and evidence_bytes(bot, item) == sms.encode()
    assert case.incident.description == sms


def test_send_screenshots_now_secures_first_and_then_asks_who_it_is_about(
    bot, user: TeamsUser, file_server: FileServer
) -> None:
    screenshot = png_screenshot(shade=140)
    url = file_server.add(f"/personal/{uuid.uuid4().hex}/foerst.png", screenshot, "image/png")
    start_report(user)
    turn = user.submit({"q": "safety", "answer": "no"})
    assert "Send skærmbilleder nu" in joined(turn)

    assert "Gem beviserne nu" in joined(user.submit({"q": "subject", "answer": "evidence_first"}))
    seen = joined(user.send_files([("foerst.png", url)]))
    assert hashlib.sha256(screenshot).hexdigest()[:12] in seen and "gemt 1 bevis" in seen
    turn = user.submit({"q": "evidence", "answer": "done"})
    assert "Er det dig, der er blevet krænket?" in joined(turn)  # back where it left

    answer_from(user, "subject")
    reference = REFERENCE.search(joined(user.submit({"q": "summary", "answer": "confirm"})))
    assert reference
    [item] = case_with_reference(bot, reference.group()).evidence
    assert item.sha256 == hashlib.sha256(screenshot).hexdigest()


def _elements(card: dict) -> list[dict]:
    """Every element of a card's body, containers opened."""
    found: list[dict] = []
    stack = list(card.get("body", []))
    while stack:
        element = stack.pop()
        found.append(element)
        stack += element.get("items", [])
        stack += [item for column in element.get("columns", []) for item in column.get("items", [])]
    return found


def test_danger_shows_112_and_114_and_marks_the_case_urgent(bot, user: TeamsUser) -> None:
    start_report(user)
    seen = joined(user.submit({"q": "safety", "answer": "yes"}))
    assert "112" in seen and "114" in seen
    turn = answer_from(user, "subject")
    assert "Akut" in joined(turn)
    reference = REFERENCE.search(joined(user.submit({"q": "summary", "answer": "confirm"}))).group()
    assert case_with_reference(bot, reference).incident.urgent is True


def test_colleague_can_report_on_behalf_of_the_harassed_employee(bot, user: TeamsUser) -> None:
    start_report(user)
    user.submit({"q": "safety", "answer": "no"})
    seen = joined(user.submit({"q": "subject", "answer": "colleague", "colleague_name": ""}))
    assert "Skriv navnet" in seen
    user.submit({"q": "subject", "answer": "colleague", "colleague_name": "Anna Sagsbehandler"})
    turn = answer_from(user, "kinds")
    assert "Anna Sagsbehandler" in joined(turn)
    seen = joined(user.submit({"q": "summary", "answer": "confirm"}))
    assert "på vegne af Anna Sagsbehandler" in seen
    case = case_with_reference(bot, REFERENCE.search(seen).group())
    assert case.subject.name == "Anna Sagsbehandler"
    assert case.reporter.user_id == user.user_id
    assert case.reported_on_behalf


def test_typed_answers_work_without_cards(bot, user: TeamsUser) -> None:
    user.say("anmeld")
    user.say("nej")
    user.say("mig")
    assert "Omstændigheder" not in joined(user.say("1 2"))
    user.submit({"q": "context", "during_work": "unknown", "colleagues_targeted": "unknown"})
    user.say("facebook")
    seen = joined(user.say("i morgen"))
    assert "kunne ikke læse tidspunktet" in seen
    user.say("nu")
    user.say("Han skrev grimme ting om mig i en gruppe.")
    user.say("ved ikke")
    assert "kunne jeg ikke bruge" in joined(user.say("ikke-et-link"))
    user.say("https://example.org/opslag/1")
    user.say("Karen Vidne, 12345678")
    user.say("færdig")
    user.say("2")
    seen = joined(user.say("færdig"))
    assert "Tjek din anmeldelse" in seen
    assert "https://example.org/opslag/1" in seen and "Karen Vidne" in seen


PHISH = "[Åbn sikker besked](https://phish.example/login)"
PHISH_SHOWN = r"\[Åbn sikker besked\](https://phish.example/login)"


def test_replies_repeat_what_the_employee_wrote_as_text_never_as_a_link(
    bot, user: TeamsUser, file_server: FileServer
) -> None:
    answer_until(user, "links")
    turn = user.submit({"q": "links", "links": "[klik](https://phish.example/login)"})
    assert r"\[klik\](https://phish.example/login)" in joined(turn), joined(turn)
    user.submit({"q": "links", "answer": "none"})
    turn = user.submit({"q": "witnesses", "answer": "add", "witness_name": PHISH, "witness_phone": ""})
    assert PHISH_SHOWN in joined(turn) and PHISH not in joined(turn).replace(PHISH_SHOWN, "")
    user.submit({"q": "witnesses", "answer": "done"})
    answer_from(user, "impact", stop_before="evidence")
    name = "**vigtigt** [se her](phish.example).png"
    url = file_server.add(f"/personal/{uuid.uuid4().hex}/skærm.png", png_screenshot(shade=33), "image/png")
    turn = user.send_files([(name, url)])
    seen = joined(turn)
    assert r"\*\*vigtigt\*\* \[se her\](phish.example).png" in seen, seen


def test_an_on_behalf_subject_gets_their_message_first_and_an_ambiguous_name_is_chosen_not_guessed(
    bot, organisation, new_user, connector
) -> None:
    unit = organisation.next_unit()
    while unit.unit_id.removeprefix("unit-") not in {"4", "5", "6", "7", "8", "9"}:  # "Nummer7" names 4 people
        unit = organisation.next_unit()
    number = unit.unit_id.removeprefix("unit-")
    colleague = new_user(**unit.colleague.teams_details())
    employee = new_user(**unit.employee.teams_details())
    mark = connector.mark()
    start_report(colleague)
    colleague.submit({"q": "safety", "answer": "no"})
    seen = joined(colleague.submit({"q": "subject", "answer": "colleague", "colleague_name": f"Nummer{number}"}))
    assert "Flere i kommunens oversigt" in seen and unit.employee.name in seen and unit.leader.name in seen
    assert "Hvad er der sket" not in seen  # nobody picked for them: the question stays
    forged = {"q": "subject", "answer": "colleague_pick", "colleague_name": f"Nummer{number}"}
    assert "Vælg kollegaen" in joined(colleague.submit({**forged, "colleague_id": organisation.hr_jura.aad_object_id}))
    colleague.submit({**forged, "colleague_id": unit.employee.aad_object_id})
    answer_from(colleague, "kinds")
    seen = joined(colleague.submit({"q": "summary", "answer": "confirm"}))
    assert f"på vegne af {unit.employee.name}" in seen and "får en besked fra mig" in seen
    reference = REFERENCE.search(seen).group()

    first = texts(connector.wait_for_activities(employee.conversation_id, 1, since=mark))[0]
    assert unit.colleague.name in first and reference in first
    assert "89 70 12 99" in first and "Mine sager" in first and unit.leader.name in first
    case = case_with_reference(bot, reference)
    assert case.subject.aad_object_id == unit.employee.aad_object_id and case.reported_on_behalf

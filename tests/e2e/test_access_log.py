"""Who saw the case, end to end over a full flow: the leader opens the evidence from the card and takes a case
package in Teams (the real bot), then opens the case in the Overblik tab, and HR breaks the glass (the tab's API,
served by a second app on the same local storage, signed in with tokens from a local JWKS). Every one of those
reads is on the case's audit log and listed for the employee in "Mine sager" and, once the case is sent to HR, on HR's
card in chat; the card's refreshes are not."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.tab_auth import issuers
from content import texts_for
from tests.e2e.consent_steps import accept, consent_cards
from tests.e2e.leader_steps import report_case
from tests.e2e.test_overview_api import APP_ID, DOMAIN, Bot, tab_settings
from tests.support.jwks_server import JwksServer
from tests.support.stored import all_cases, audit_events
from tests.support.teams import DEFAULT_TENANT_ID, card_texts, texts

SMS = "SMS fra 22 33 44 55: Jeg ved hvor du bor."
REASON = "Medarbejderen har bedt Organisation og Personale se på sagen"


def token(jwks: JwksServer, oid: str) -> str:
    now = int(time.time())
    return jwks.mint(
        {
            "aud": f"api://{DOMAIN}/{APP_ID}",
            "iss": issuers(DEFAULT_TENANT_ID)[0],
            "tid": DEFAULT_TENANT_ID,
            "oid": oid,
            "scp": "access_as_user",
            "nbf": now - 5,
            "exp": now + 3600,
        }
    )


async def call(url: str, bearer: str, body: Any = None) -> int:
    headers = {"Authorization": f"Bearer {bearer}"}
    async with aiohttp.ClientSession() as session:
        if body is None:
            async with session.get(url, headers=headers) as response:
                return response.status
        async with session.post(url, headers=headers, data=json.dumps(body)) as response:
            return response.status


def test_every_read_of_a_full_flow_is_in_the_access_log_the_employee_and_hr_see(
    bot, organisation, new_user, connector, tmp_path: Path
) -> None:
    if bot.backend != "local":
        pytest.skip("the tab's second app shares the bot's storage on the local backend only")
    reported = report_case(organisation, new_user, connector, pasted_sms=SMS)
    data = {"case_id": reported.case_id, "version": reported.version}
    reported.leader.execute("refresh", data)  # Teams showing the card again: not a read
    reported.leader.execute("evidence", data)
    reported.leader.execute("package", data)
    [(activity, card)] = consent_cards(reported.leader.last_turn or [])
    assert accept(reported.leader, activity, card, connector, f"Sagspakke-{uuid.uuid4().hex[:8]}.zip")[0] == 200

    directory = organisation.write(tmp_path / "directory.json")
    with JwksServer(issuer=issuers(DEFAULT_TENANT_ID)[0]) as jwks:
        settings = tab_settings(jwks, DEFAULT_TENANT_ID, bot.data_dir, directory)
        with Bot(settings) as tab:
            case_url = f"{tab.base_url}/api/overview/cases/{reported.case_id}"
            leader = token(jwks, reported.unit.leader.aad_object_id)
            hr = token(jwks, organisation.hr_coordinator.aad_object_id)
            assert asyncio.run(call(case_url, leader)) == 200
            assert asyncio.run(call(case_url, hr)) == 404  # not sent to HR
            assert asyncio.run(call(f"{case_url}/break-the-glass", hr, {"reason": REASON})) == 200

    events = [(e.action, e.actor_aad_object_id) for e in audit_events(bot, reported.case_id)]
    karen, karsten = reported.unit.leader.aad_object_id, organisation.hr_coordinator.aad_object_id
    for read in (("evidence_read", karen), ("package_built", karen), ("package_delivered", karen)):
        assert read in events, read
    assert ("overview_case_read", karen) in events and ("break_the_glass", karsten) in events
    assert not [action for action, _ in events if action == "refresh"]

    seen = "\n".join(texts(reported.employee.submit({"command": "case_status", "case_id": reported.case_id})))
    leader_name, hr_name = reported.unit.leader.name, organisation.hr_coordinator.name
    for line in (
        f"{leader_name} (leder) åbnede beviserne",
        f"{leader_name} (leder) fik en sagspakke",
        f"{leader_name} (leder) åbnede sagen i Overblik",
        f"{hr_name} (Organisation og Personale) åbnede sagen med en særlig begrundelse",
    ):
        assert line in seen, line
    assert seen.count("(leder)") == 3 and REASON not in seen and karen not in seen

    # HR, once the case is sent to them, sees the same reads, newest first, on their own card in chat
    escalate = {"function": "work_environment_coordinator", "message": "Se loggen"}
    body = reported.leader.execute("escalate_hr", {**data, **escalate, "version": version(bot, reported.case_id)})[1]
    assert body["statusCode"] == 200
    coordinator = new_user(**organisation.hr_coordinator.teams_details())
    refreshed = coordinator.execute("refresh", {**data, "version": version(bot, reported.case_id)})[1]
    assert refreshed["statusCode"] == 200
    on_card = card_texts(refreshed["value"])
    lines = on_card[on_card.index(texts_for("da", "-")("access.hr_title")) + 2 :][:4]
    assert [line.split(" – ", 1)[1] for line in lines] == [
        f"{hr_name} (Organisation og Personale) åbnede sagen med en særlig begrundelse",
        f"{leader_name} (leder) åbnede sagen i Overblik",
        f"{leader_name} (leder) fik en sagspakke",
        f"{leader_name} (leder) åbnede beviserne",
    ]
    assert REASON not in json.dumps(refreshed, ensure_ascii=False) and karen not in json.dumps(refreshed)


def version(bot: Any, case_id: str) -> int:
    return next(case.version for case in all_cases(bot) if case.case_id == case_id)

"""What each recipient of a leadership card gets, from what Værn learned at run time (the conversation reference stored
when they wrote to the bot or were sent a card): the card refreshes for its leader and deputy even when the directory
knows them only by Entra ID object id (as in directory.example.json or from Microsoft Graph), and every card and
message is in the reader's own Teams language, Danish while Værn has not heard from them."""

from __future__ import annotations

from typing import Any

from domain.case import Person
from domain.reporting import ReportDraft
from services.notifications import CaseNotifications
from services.roles import DirectoryFile, JsonDirectory
from storage.conversation_refs import ConversationReferenceStore
from storage.leader_assignments import LeaderAssignments
from storage.outbox import DEPUTY_CARD, LEADER_CARD
from tests.unit.test_services import World

EMPLOYEE = Person(user_id="29:mette", name="Mette Hansen", aad_object_id="aad-mette")
DIRECTORY = {
    "units": [{"id": "unit-1", "name": "Borgerservice", "leader": "aad-karen", "deputy": "aad-dorte"}],
    "people": [
        {"aad_object_id": "aad-mette", "upn": "mette@kommune.dk", "name": "Mette Hansen", "unit": "unit-1",
         "teams_user_id": "29:mette"},
        {"aad_object_id": "aad-karen", "upn": "karen@kommune.dk", "name": "Karen Leder", "unit": "unit-1"},
        {"aad_object_id": "aad-dorte", "upn": "dorte@kommune.dk", "name": "Dorte Stedfortræder", "unit": "unit-1"},
    ],
}  # fmt: skip


def reference(teams_id: str, aad: str, locale: str = "da-DK") -> dict[str, Any]:
    return {
        "locale": locale,
        "user": {"id": teams_id, "aadObjectId": aad},
        "bot": {"id": "28:bot"},
        "conversation": {"id": f"a:{teams_id}", "tenantId": "tenant-1"},
        "channelId": "msteams",
        "serviceUrl": "https://smba.test/",
    }


class LearnedIds(World):
    def __init__(self) -> None:
        super().__init__()
        self.references = ConversationReferenceStore(self.documents)
        self.notifications = CaseNotifications(
            JsonDirectory(DirectoryFile.model_validate(DIRECTORY)), LeaderAssignments(self.documents), self.outbox,
            self.sender, self.clock, "89 70 12 99", self.notifications.planner, references=self.references,
        )  # fmt: skip
        self.reports.notifications = self.notifications


def refresh_ids(payload: dict[str, Any]) -> list[str]:
    return payload["attachments"][0]["content"]["refresh"]["userIds"]


async def test_the_leaders_and_deputys_teams_ids_learned_at_run_time_go_on_the_card() -> None:
    world = LearnedIds()
    await world.references.save(
        Person(user_id="29:karen", name="", aad_object_id="aad-karen"), reference("29:karen", "aad-karen")
    )
    await world.references.save(
        Person(user_id="29:dorte", name="", aad_object_id="aad-dorte"), reference("29:dorte", "aad-dorte")
    )
    draft = ReportDraft(case_id="c" * 32, reporter=EMPLOYEE, tenant_id="tenant-1", service_url="https://smba.test/")
    case = await world.reports.file_report(draft)
    assert case.leader is not None and case.leader.user_id == "aad-karen"  # the directory has no Teams id

    [card] = [n for n in await world.outbox.pending() if n.kind == LEADER_CARD]
    assert {"29:karen", "29:dorte"} <= set(refresh_ids(card.payload))
    assert "aad-karen" not in refresh_ids(card.payload)

    await world.notifications.send_deputy_card(case, [], "handover", "Stedfortræder")
    [deputy] = [n for n in await world.outbox.pending() if n.kind == DEPUTY_CARD]
    assert refresh_ids(deputy.payload) == ["29:dorte"]  # the deputy's copy refreshes for the deputy alone


async def test_without_a_stored_reference_only_known_teams_ids_go_on_the_card() -> None:
    world = LearnedIds()
    draft = ReportDraft(case_id="d" * 32, reporter=EMPLOYEE, tenant_id="tenant-1", service_url="https://smba.test/")
    case = await world.reports.file_report(draft)
    assert await world.notifications.viewers(case) == ["29:mette"]


async def test_each_reader_gets_the_card_in_their_own_language() -> None:
    world = LearnedIds()
    karen = Person(user_id="29:karen", name="", aad_object_id="aad-karen")
    await world.references.save(karen, reference("29:karen", "aad-karen", "en-GB"))
    draft = ReportDraft(case_id="e" * 32, reporter=EMPLOYEE, tenant_id="tenant-1", service_url="https://smba.test/")
    case = await world.reports.file_report(draft)  # the employee writes Danish; the leader reads English

    [card] = [n for n in await world.outbox.pending() if n.kind == LEADER_CARD]
    shown = str(card.payload)
    english, danish = world.notifications.texts("en"), world.notifications.texts("da")
    assert english("leader.intro") in shown and danish("leader.intro") not in shown

    await world.notifications.send_deputy_card(case, [], "handover", "Stedfortræder")
    [deputy] = [n for n in await world.outbox.pending() if n.kind == DEPUTY_CARD]
    assert danish("leader.intro") in str(deputy.payload)  # nothing heard from the deputy yet: Danish

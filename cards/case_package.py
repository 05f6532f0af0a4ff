"""Cards around the case package: the leader card's button that asks for it, and the choice of case when the
person asking has more than one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adaptive_cards import card as ac

from cards.common import build_card, heading, submit
from content import Texts
from domain.case import Case
from domain.case_package import PackageKind
from domain.reporting import DEFAULT_TIMEZONE

PACKAGE_VERB = "package"
COMMANDS = {PackageKind.FULL: "case_package", PackageKind.POLICE: "police_package"}
MAX_CHOICES = 10


def package_button(texts: Texts, case: Case, kind: PackageKind = PackageKind.FULL) -> ac.ActionExecute:
    """Action.Execute "package" for a case card (FULL on the leader's and HR's card); the bot answers with a
    file consent card in the person's chat and leaves the card as it is. Its data is the case's usual
    {case_id, version}; "kind" is added only for the police package (FULL is the default)."""
    data: dict[str, Any] = {"case_id": case.case_id, "version": case.version}
    if kind is not PackageKind.FULL:
        data["kind"] = kind.value
    return ac.ActionExecute(title=texts(f"package_chat.button_{kind.value}"), verb=PACKAGE_VERB, data=data)


def police_package_submit(texts: Texts, case: Case) -> ac.ActionSubmit:
    """For the employee's own case list ("Mine sager"): a message-back that asks for this case's police package."""
    return submit(
        texts("package_chat.button_police"), {"command": COMMANDS[PackageKind.POLICE], "case_id": case.case_id}
    )


def choose_case_card(texts: Texts, cases: Sequence[Case], kind: PackageKind) -> dict[str, Any]:
    """One button per case (newest first, one to a row, above the crisis line); each submits the package
    command with its case id."""
    newest = sorted(cases, key=lambda case: case.created_at, reverse=True)[:MAX_CHOICES]
    buttons = [
        submit(
            texts(
                "package_chat.case_choice",
                reference=case.reference or case.case_id[:8],
                date=case.created_at.astimezone(DEFAULT_TIMEZONE).strftime("%d-%m-%Y"),
            ),
            {"command": COMMANDS[kind], "case_id": case.case_id},
        )
        for case in newest
    ]
    # One button to a row in the body: side by side as card actions they are cut to "VK-2026-0…", and Teams shows
    # at most six card actions.
    rows = [ac.ActionSet(actions=[button]) for button in buttons]
    return build_card(texts, [heading(texts("package_chat.choose")), *rows])

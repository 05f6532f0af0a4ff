"""The choice of leader when the directory does not know the employee's: one button per match from the
directory search (dialogs/choose_leader.py), one to a row above the crisis line, so a long name is not cut on a
phone. Each button sends the person's Azure AD object id as `leader`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adaptive_cards import card as ac

from cards.common import build_card, heading, submit
from content import Texts

LEADER_CHOICE = "leader"


def choose_leader_card(texts: Texts, people: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """One button per (Azure AD object id, name), best match first."""
    rows = [ac.ActionSet(actions=[submit(name, {LEADER_CHOICE: aad_object_id})]) for aad_object_id, name in people]
    return build_card(texts, [heading(texts("leader_lookup.choose")), *rows])

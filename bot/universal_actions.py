"""Universal Actions (Action.Execute) at the edge: read an adaptiveCard/action invoke safely and build
the responses Teams expects (a card, or an error with its status inside an HTTP 200).

Rules: an invoke value is never trusted (forged invokes are expected): only a well-formed Action.Execute for a
case reaches the SDK's typed route (`ActivityHandler.on_adaptive_card_invoke`); anything else is answered here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from microsoft_agents.activity import AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue, InvokeResponse

ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
ERROR_TYPE = "application/vnd.microsoft.error"
_CASE_ID = re.compile(r"[0-9a-f]{32}")  # fullmatch: "$" would let a trailing newline through
_VERB = re.compile(r"[a-z_]{1,40}")


@dataclass(frozen=True)
class CardAction:
    verb: str
    case_id: str
    card_version: int
    data: dict[str, Any]


class MalformedAction(ValueError):
    """The invoke does not carry a well-formed Action.Execute for a case."""


def read_card_action(value: object) -> CardAction:
    """Check the invoke value's shape; never trust its types (forged invokes are expected)."""
    if not isinstance(value, dict) or not isinstance(value.get("action"), dict):
        raise MalformedAction("no action")
    action = value["action"]
    verb, data = action.get("verb"), action.get("data")
    if not isinstance(verb, str) or not _VERB.fullmatch(verb):
        raise MalformedAction("bad verb")
    if not isinstance(data, dict):
        raise MalformedAction("no data")
    case_id, version = data.get("case_id"), cast(Any, data.get("version"))
    if not isinstance(case_id, str) or not _CASE_ID.fullmatch(case_id):
        raise MalformedAction("bad case id")
    try:
        card_version = int(version)
    except (TypeError, ValueError, OverflowError) as error:  # OverflowError: Infinity, which Python's json reads
        raise MalformedAction("bad version") from error
    if isinstance(version, bool) or card_version < 1:
        raise MalformedAction("bad version")
    return CardAction(verb=verb, case_id=case_id, card_version=card_version, data=data)


def typed_invoke_value(value: object) -> AdaptiveCardInvokeValue | None:
    """The SDK's typed invoke value, when the value is a well-formed Action.Execute for a case; else None."""
    try:
        read_card_action(value)
        typed = AdaptiveCardInvokeValue.model_validate(value)
    except ValueError:  # MalformedAction, and pydantic's ValidationError
        return None
    return typed if typed.action is not None and typed.action.type == "Action.Execute" else None


def card_response(card: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    return AdaptiveCardInvokeResponse(status_code=200, type=CARD_TYPE, value=card)


def error_response(status_code: int, code: str, message: str) -> AdaptiveCardInvokeResponse:
    """Universal Actions report errors inside a 200 invoke response, with the real status in the body."""
    return AdaptiveCardInvokeResponse(
        status_code=status_code, type=ERROR_TYPE, value={"code": code, "message": message}
    )


def invoke_response(response: AdaptiveCardInvokeResponse) -> InvokeResponse:
    """The HTTP answer for a response made outside the SDK's route (as the SDK itself wraps it)."""
    return InvokeResponse(status=200, body=response.model_dump(mode="json", by_alias=True, exclude_none=True))

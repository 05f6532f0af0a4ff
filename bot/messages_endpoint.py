"""POST /api/messages: check the request, authenticate it, and hand the activity to the bot.

Bad input gets a clear 4xx; a bad or missing token gets 401, never 500. The token checks are the Microsoft 365
Agents SDK's validator with the gaps closed in bot/authentication.py (issuer, audience = our app id, RS256 signature
by a key from the OpenID metadata endorsed for the activity's channel, expiry and not-before with a 5-minute clock
skew, serviceurl claim equal to the activity's serviceUrl).

Bodies nested deeper than MAX_JSON_DEPTH are refused (400), as is JSON beyond the json module's own nesting limit;
a client that closes the connection before its body arrived is logged at INFO, without a traceback. An unpaired
surrogate in the body's text (a lone \\ud800 escape) becomes U+FFFD, so the turn can store it and nothing else is lost.

An authenticated activity from another channel than Teams or from another tenant gets 403 and reaches no dialog
(bot/admission.py). The activity is read into the SDK's own model; a body it cannot read is a 400, logged here once
as a WARNING (the SDK's model logs every such body at ERROR with a traceback; those records are dropped).
"""

from __future__ import annotations

import json
import logging
import re

from aiohttp import web
from microsoft_agents.activity import Activity
from pydantic import ValidationError

from bot.admission import ADMISSION
from bot.authentication import Authenticator, Refused
from bot.runtime import RUNTIME
from dialogs.identity import tenant_of
from services.logging_setup import new_correlation_id

log = logging.getLogger("vaern.messages")

AUTHENTICATOR = web.AppKey("authenticator", Authenticator)

# Bot Connector tokens are about 1 KB (Azure AD ones on the emulator path 1.5-3 KB). A longer Authorization header
# is refused before any decoding. aiohttp itself answers 400 to header values over 8190 bytes, before this code.
MAX_AUTHORIZATION_CHARS = 6 * 1024
# Teams' activities nest a dozen levels or so (a card in an attachment the most). Deeper bodies are refused before
# anything reads them: the SDK's models and the dialogs walk activities recursively, and Python's stack is ~1,000 deep.
MAX_JSON_DEPTH = 64
TOO_DEEP = f"body nests more than {MAX_JSON_DEPTH} levels deep"


def _nested_too_deeply(raw: bytes, body: object) -> bool:
    """Whether the JSON nests objects and arrays more than MAX_JSON_DEPTH levels deep. Only a body with more
    brackets than that can be, so most are not walked; the walk keeps its own stack (no recursion)."""
    if raw.count(b"{") + raw.count(b"[") <= MAX_JSON_DEPTH:
        return False
    pending: list[tuple[object, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if type(value) is dict else value if type(value) is list else ()
        for child in children:
            if type(child) is dict or type(child) is list:
                if depth >= MAX_JSON_DEPTH:
                    return True
                pending.append((child, depth + 1))
    return False


SDK_ACTIVITY_LOGGER = "microsoft_agents.activity.activity"


class _SdkValidationNoise(logging.Filter):
    """Drops the SDK model's ERROR for a body that is not an activity: a client's mistake, answered 400 and logged
    by `handle_messages` as a WARNING. Anything else that logger says passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Validation error for Activity")


logging.getLogger(SDK_ACTIVITY_LOGGER).addFilter(_SdkValidationNoise())


UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_unpaired_surrogates(value: object) -> object:
    """The JSON with every unpaired surrogate (a \\ud800 escape without its pair; json joins the pairs) replaced by
    U+FFFD: text that cannot be stored as UTF-8 otherwise fails the turn, and the rest of the message is kept. The
    body is at most MAX_JSON_DEPTH deep here."""
    if isinstance(value, str):
        return UNPAIRED_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_without_unpaired_surrogates(key): _without_unpaired_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_unpaired_surrogates(item) for item in value]
    return value


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def handle_messages(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    adapter, bot = runtime.adapter, runtime.bot
    new_correlation_id()
    if request.content_type != "application/json":
        return _problem(415, "Content-Type must be application/json")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, "request body too large")
    except OSError as error:  # ConnectionResetError: nobody is left to answer, and nothing went wrong here
        log.info("request abandoned: the client closed the connection before its body arrived (%s)", error)
        return _problem(400, "incomplete body")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "body is not valid JSON")
    except RecursionError:  # json's own limit on nesting (~1,000 levels)
        return _problem(400, TOO_DEEP)
    if _nested_too_deeply(raw, body):
        return _problem(400, TOO_DEEP)
    if b"\\ud" in raw.lower():  # only a \\uD800-\\uDFFF escape can put an unpaired surrogate into the text
        body = _without_unpaired_surrogates(body)
    activity = _activity_from(body)
    if activity is None:
        log.warning("request refused: the body is not a Bot Framework activity (%d bytes)", len(raw))
        return _problem(400, "body is not a Bot Framework activity")
    auth_header = request.headers.get("Authorization") or None
    if auth_header is not None and len(auth_header) > MAX_AUTHORIZATION_CHARS:
        log.warning("request refused: Authorization header of %d characters", len(auth_header))
        return _problem(401, "unauthorized")
    authenticator = request.app[AUTHENTICATOR]
    try:
        identity = await authenticator.authenticate(auth_header, str(activity.channel_id), activity.service_url)
    except Refused as refused:
        log.warning("request refused: %s", refused)
        return _problem(401, "unauthorized")
    refusal = request.app[ADMISSION].refusal(activity)
    if refusal is not None:
        _log_refused_activity(activity, refusal)
        return _problem(403, "forbidden")
    invoke_response = await adapter.process_activity(identity, activity, bot.on_turn)
    if invoke_response is None:
        return web.Response(status=201)
    if invoke_response.body is None:
        return web.Response(status=invoke_response.status)
    return web.json_response(invoke_response.body, status=invoke_response.status)


def _log_refused_activity(activity: Activity, refusal: str) -> None:
    """Who tried, from where (the values as the request gave them, cut short)."""
    sender = activity.from_property
    fields = {
        "refused": refusal,
        "channel_id": str(activity.channel_id)[:40],
        "tenant_id": str(tenant_of(activity))[:80],
        "activity_type": str(activity.type)[:40],
        "activity_name": str(activity.name)[:80] if activity.name else None,
        "from_id": str(sender.id)[:120] if sender and sender.id else None,
        "from_aad_object_id": str(sender.aad_object_id)[:80] if sender and sender.aad_object_id else None,
    }
    log.warning("activity refused: %s not allowed", refusal, extra={"fields": fields})


def _activity_from(body: object) -> Activity | None:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
        return None
    try:
        activity = Activity.model_validate(body)
    except ValidationError:
        try:  # the SDK's model takes no "" for an optional text (an aadObjectId, a locale): "" means "not given"
            activity = Activity.model_validate(_without_empty_texts(body))
        except (ValidationError, ValueError, TypeError):
            return None
    except (ValueError, TypeError):
        return None
    if not activity.service_url or activity.conversation is None or not activity.conversation.id:
        return None
    return activity


def _without_empty_texts(value: object) -> object:
    """The JSON without its "" values (object members only; list items stay)."""
    if isinstance(value, dict):
        return {key: _without_empty_texts(item) for key, item in value.items() if item != ""}
    if isinstance(value, list):
        return [_without_empty_texts(item) for item in value]
    return value

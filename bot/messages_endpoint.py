"""POST /api/messages: check the request, authenticate it, and hand the activity to the bot.

Bad input gets a clear 4xx; a bad or missing token gets 401, never 500. The token checks are the Microsoft 365
Agents SDK's validator with the gaps closed in bot/authentication.py (issuer, audience = our app id, RS256 signature
by a key from the OpenID metadata endorsed for the activity's channel, expiry and not-before with a 5-minute clock
skew, serviceurl claim equal to the activity's serviceUrl).

Bodies nested deeper than MAX_JSON_DEPTH are refused (400), as is JSON beyond the json module's own nesting limit;
a client that closes the connection before its body arrived is logged at INFO, without a traceback.

An authenticated activity from another channel than Teams or from another tenant gets 403 and reaches no dialog
(bot/admission.py). The activity is read by `bot/inbound_activity.py`.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from botbuilder.schema import Activity, CallerIdConstants
from botframework.connector.auth import AuthenticateRequestResult, AuthenticationConstants, ClaimsIdentity

from bot.admission import ADMISSION
from bot.authentication import Authenticator, Refused
from bot.inbound_activity import read_activity
from bot.runtime import RUNTIME
from dialogs.identity import tenant_of
from services.logging_setup import new_correlation_id

log = logging.getLogger("vaern.messages")

AUTHENTICATOR = web.AppKey("authenticator", Authenticator)

# Bot Connector tokens are about 1 KB (Azure AD ones on the emulator path 1.5-3 KB). A longer Authorization header
# is refused before any decoding. aiohttp itself answers 400 to header values over 8190 bytes, before this code.
MAX_AUTHORIZATION_CHARS = 6 * 1024
# Teams' activities nest a dozen levels or so (a card in an attachment the most). Deeper bodies are refused before
# anything reads them: the SDK, msrest and the dialogs walk activities recursively, and Python's stack is ~1,000 deep.
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
    activity = _activity_from(body)
    if activity is None:
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
    if authenticator.required:
        authentication = _verified(adapter, identity.claims)
    else:  # botbuilder's own "authentication disabled" result (no app id, ALLOW_UNAUTHENTICATED=true)
        authentication = await adapter.bot_framework_authentication.authenticate_request(activity, None)
    refusal = request.app[ADMISSION].refusal(activity)
    if refusal is not None:
        _log_refused_activity(activity, refusal)
        return _problem(403, "forbidden")
    invoke_response = await adapter.process_activity(authentication, activity, bot.on_turn)
    if invoke_response is not None:
        return web.json_response(invoke_response.body, status=invoke_response.status)
    return web.Response(status=201)


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


def _verified(adapter: object, claims: dict) -> AuthenticateRequestResult:
    """What botbuilder's adapter needs to run a turn whose token the Agents SDK verified: the identity, and the
    connector factory for replies to the Bot Connector (botbuilder's own, from the same app settings)."""
    identity = ClaimsIdentity(dict(claims), True)
    result = AuthenticateRequestResult()
    result.claims_identity = identity
    result.audience = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
    result.caller_id = CallerIdConstants.public_azure_channel.value
    result.connector_factory = adapter.bot_framework_authentication.create_connector_factory(identity)
    return result


def _activity_from(body: object) -> Activity | None:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
        return None
    try:
        activity = read_activity(body)  # = msrest's Activity().deserialize(body), faster (bot/inbound_activity.py)
    except Exception:  # msrest raises several types for shapes it cannot read
        return None
    if not activity.service_url or activity.conversation is None or not activity.conversation.id:
        return None
    return activity

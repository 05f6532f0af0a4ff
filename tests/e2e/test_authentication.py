"""Production mode (an app id set): every /api/messages request must carry a valid Bot Connector token.

A dedicated bot runs with an app id and its OpenID metadata pointed at a local JWKS server that signs real RS256
tokens. Every bad token gets 401 with a short JSON body and no stack trace (botbuilder alone answers 500 to many of
them), nothing is stored for a refused request, and a valid token is let through. Without an app id the bot only
starts when ALLOW_UNAUTHENTICATED=true says so, and then warns.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.bot_process import BotProcess, BotStartError, BotStorage, RunningBot
from tests.support.connector_stub import ConnectorStub
from tests.support.jwks_server import KEYS_PATH, METADATA_PATH, JwksServer, SigningKey, b64url
from tests.support.stored import documents_under
from tests.support.teams import DEFAULT_TENANT_ID, TeamsUser

APP_ID = str(uuid.uuid4())
OTHER_APP_ID = str(uuid.uuid4())
UNAUTHORIZED = {"error": "unauthorized"}
FORBIDDEN = {"error": "forbidden"}
SKEW_SECONDS = 5 * 60  # botbuilder's clock tolerance for exp and nbf

# Keys the bot can see besides the server's own: one endorsed for Teams among other channels (a second valid
# signer), one endorsed for Web Chat only (its tokens must not be accepted for an msteams activity).
MULTI_CHANNEL_KEY = SigningKey(kid="vaern-test-key-2", endorsements=["webchat", "msteams", "skype"])
WEBCHAT_ONLY_KEY = SigningKey(kid="vaern-test-webchat", endorsements=["webchat"])
# Never published: signs with the published kid (wrong key) or with its own kid (unknown kid).
ROGUE_KEY = SigningKey(kid="rogue-key")


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with JwksServer(keys=[MULTI_CHANNEL_KEY, WEBCHAT_ONLY_KEY]) as server:
        yield server


@pytest.fixture(scope="module")
def secured_bot(
    jwks: JwksServer, connector: ConnectorStub, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningBot]:
    """The real bot with an app id, trusting only the local JWKS server.

    ALLOW_UNAUTHENTICATED is deliberately true here: with an app id it must change nothing (the matrix below
    would fail otherwise). Replies need a token from Microsoft's login host, which is not reachable: a turn that
    replies fails to send (on_turn_error) while its request still answers 201, so the valid cases send activities
    the bot does not answer.
    """
    storage = BotStorage(backend="local", data_dir=tmp_path_factory.mktemp("auth-data"))
    env = storage.env(
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="not-a-real-secret",
        MICROSOFT_APP_TENANT_ID=DEFAULT_TENANT_ID,  # the only tenant served (ALLOWED_TENANT_IDS left empty)
        ALLOW_UNAUTHENTICATED="true",
        BOT_OPENID_METADATA_URL=jwks.metadata_url,
    )
    process = BotProcess(env, workdir=tmp_path_factory.mktemp("auth-bot"))
    process.start()
    try:
        yield RunningBot(**vars(storage), process=process)
    finally:
        process.stop()


@pytest.fixture
def teams_user(secured_bot: RunningBot, connector: ConnectorStub) -> TeamsUser:
    secured_bot.process.ensure_running()
    return TeamsUser(secured_bot.url, connector)


def post(bot: RunningBot | BotProcess, activity: dict[str, Any], authorization: str | None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    session = requests.Session()
    session.trust_env = False
    return session.post(f"{bot.url}/api/messages", data=json.dumps(activity), headers=headers, timeout=30)


# ---- tokens ---------------------------------------------------------------------------------------------------

Token = Callable[[JwksServer, str], str | None]  # (server, the activity's serviceUrl) -> Authorization value


def claims(jwks: JwksServer, service_url: str, **overrides: Any) -> dict[str, Any]:
    return jwks.claims(app_id=APP_ID, service_url=service_url, **overrides)


def bearer(jwks: JwksServer, service_url: str, **kwargs: Any) -> str:
    """A Bearer header for a token with the usual claims; `claim_overrides` changes claims, the rest go to mint."""
    overrides = kwargs.pop("claim_overrides", {})
    return "Bearer " + jwks.mint(claims(jwks, service_url, **overrides), **kwargs)


def tampered(jwks: JwksServer, service_url: str) -> str:
    """A genuinely signed token whose payload was then changed (here: ten more years of validity)."""
    header, _, signature = jwks.mint(claims(jwks, service_url)).split(".")
    forged = b64url(json.dumps(claims(jwks, service_url, exp=int(time.time()) + 10 * 365 * 86400)).encode())
    return f"Bearer {header}.{forged}.{signature}"


def oversized(jwks: JwksServer, service_url: str) -> str:
    """A correctly signed token padded past the bot's cap (6 KiB) but under aiohttp's own limit (8190 bytes)."""
    return bearer(jwks, service_url, claim_overrides={"padding": "x" * 5500})


def now() -> int:
    return int(time.time())


BAD_TOKENS: dict[str, Token] = {
    "no Authorization header": lambda j, s: None,
    "empty Bearer": lambda j, s: "Bearer ",
    "Basic scheme": lambda j, s: "Basic " + base64.b64encode(b"bot:secret").decode(),
    "not a JWT": lambda j, s: "Bearer not-a-jwt",
    "three garbage segments": lambda j, s: "Bearer aaaa.bbbb.cccc",
    "token and a stray word": lambda j, s: bearer(j, s) + " extra",
    "alg none, unsigned": lambda j, s: bearer(j, s, alg="none"),
    "alg HS256 keyed with the public key": lambda j, s: bearer(j, s, alg="HS256"),
    "alg RS384 by the trusted key": lambda j, s: bearer(j, s, alg="RS384"),
    "unpublished key under the trusted kid": lambda j, s: bearer(j, s, key=ROGUE_KEY, kid=j.key.kid),
    "unknown kid": lambda j, s: bearer(j, s, key=ROGUE_KEY),
    "no kid": lambda j, s: bearer(j, s, kid=None),
    "key not endorsed for msteams": lambda j, s: bearer(j, s, key=WEBCHAT_ONLY_KEY),
    "expired beyond the clock skew": lambda j, s: bearer(
        j, s, claim_overrides={"nbf": now() - 7200, "exp": now() - SKEW_SECONDS - 60}
    ),
    "no expiry (exp claim left out)": lambda j, s: bearer(j, s, claim_overrides={"exp": None}),
    "not yet valid beyond the clock skew": lambda j, s: bearer(
        j, s, claim_overrides={"nbf": now() + SKEW_SECONDS + 60, "exp": now() + 7200}
    ),
    "audience of another bot": lambda j, s: bearer(j, s, claim_overrides={"aud": OTHER_APP_ID}),
    "no audience": lambda j, s: bearer(j, s, claim_overrides={"aud": None}),
    "foreign issuer": lambda j, s: bearer(j, s, claim_overrides={"iss": "https://login.evil.example/"}),
    "no issuer": lambda j, s: bearer(j, s, claim_overrides={"iss": None}),
    "serviceUrl claim of another host": lambda j, s: bearer(
        j, s, claim_overrides={"serviceurl": "https://smba.trafficmanager.net/emea/"}
    ),
    "no serviceUrl claim": lambda j, s: bearer(j, s, claim_overrides={"serviceurl": None}),
    "skill-shaped token from another bot": lambda j, s: bearer(
        j, s, claim_overrides={"ver": "1.0", "appid": OTHER_APP_ID}
    ),
    "tampered payload": tampered,
    "oversized (6 KiB+) Authorization header": oversized,
}

GOOD_TOKENS: dict[str, Token] = {
    "valid": lambda j, s: bearer(j, s),
    "second published key, endorsed for msteams among others": lambda j, s: bearer(j, s, key=MULTI_CHANNEL_KEY),
    "expired 2 minutes ago, inside the clock skew": lambda j, s: bearer(
        j, s, claim_overrides={"nbf": now() - 3600, "exp": now() - 120}
    ),
    "valid from 2 minutes ahead, inside the clock skew": lambda j, s: bearer(
        j, s, claim_overrides={"nbf": now() + 120}
    ),
}


def data_snapshot(root: Path) -> dict[str, str]:
    """Every stored document and every other file under the bot's data dir, with a hash of its content (the
    database's own files change with reads too, so documents are read through the store)."""
    files = {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.startswith("documents.sqlite3")
    }
    documents = documents_under(BotStorage(backend="local", data_dir=root), "")
    return files | {f"document {key}": hashlib.sha256(data).hexdigest() for key, data in documents.items()}


# ---- the matrix -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", list(BAD_TOKENS.values()), ids=list(BAD_TOKENS))
def test_bad_token_is_401_without_a_stack_trace(
    secured_bot: RunningBot, teams_user: TeamsUser, jwks: JwksServer, token: Token
) -> None:
    log_before = len(secured_bot.process.log_text())
    response = post(secured_bot, teams_user.activity(text="hej"), token(jwks, teams_user.connector.url))
    assert response.status_code == 401, response.text[:300]
    assert response.json() == UNAUTHORIZED
    assert "Traceback" not in response.text
    logged = secured_bot.process.log_text()[log_before:]
    assert "request refused" in logged
    assert "Traceback" not in logged and '"level": "ERROR"' not in logged


@pytest.mark.parametrize("token", list(GOOD_TOKENS.values()), ids=list(GOOD_TOKENS))
def test_valid_token_is_let_through(
    secured_bot: RunningBot, teams_user: TeamsUser, jwks: JwksServer, token: Token
) -> None:
    # a reaction: the bot stores the conversation but does not answer (an answer would need Microsoft's login)
    response = post(secured_bot, teams_user.activity("messageReaction"), token(jwks, teams_user.connector.url))
    assert response.status_code in (200, 201), response.text[:300]


def test_valid_message_whose_reply_cannot_be_sent_is_still_accepted(
    secured_bot: RunningBot, teams_user: TeamsUser, jwks: JwksServer
) -> None:
    """The welcome reply fails (no token from Microsoft's login host here): the turn error is handled, the request
    answers 201, and the bot keeps serving."""
    log_before = len(secured_bot.process.log_text())
    response = post(secured_bot, teams_user.activity(text="hej"), bearer(jwks, teams_user.connector.url))
    assert response.status_code == 201, response.text[:300]
    assert "turn failed" in secured_bot.process.log_text()[log_before:]
    assert requests.get(f"{secured_bot.url}/healthz", timeout=5).status_code == 200
    assert post(secured_bot, teams_user.activity("messageReaction"), None).status_code == 401


def test_refused_requests_store_nothing(secured_bot: RunningBot, teams_user: TeamsUser, jwks: JwksServer) -> None:
    service_url = teams_user.connector.url
    before = data_snapshot(secured_bot.data_dir)
    mark = teams_user.connector.mark()
    for token in BAD_TOKENS.values():
        # "anmeld" would start a report (dialog state, conversation reference) if it got through
        assert post(secured_bot, teams_user.activity(text="anmeld"), token(jwks, service_url)).status_code == 401
    assert data_snapshot(secured_bot.data_dir) == before
    assert teams_user.connector.activities(teams_user.conversation_id, since=mark) == []
    # the same conversation with a valid token is stored: the check above could have seen a write
    assert post(secured_bot, teams_user.activity("messageReaction"), bearer(jwks, service_url)).status_code == 201
    assert data_snapshot(secured_bot.data_dir) != before


def test_metadata_comes_from_the_setting_and_bad_tokens_never_refetch_it(
    secured_bot: RunningBot, teams_user: TeamsUser, jwks: JwksServer
) -> None:
    """The keys are fetched from BOT_OPENID_METADATA_URL once and cached; unknown kids do not trigger a refetch
    (so bad tokens cannot make the bot hammer the metadata host; a key Microsoft adds is seen at the next daily
    refresh, botbuilder's cache period)."""
    service_url = teams_user.connector.url
    assert post(secured_bot, teams_user.activity("messageReaction"), bearer(jwks, service_url)).status_code == 201
    for _ in range(5):
        unknown = bearer(jwks, service_url, key=ROGUE_KEY)
        assert post(secured_bot, teams_user.activity("messageReaction"), unknown).status_code == 401
    assert jwks.hits[METADATA_PATH] == 1 and jwks.hits[KEYS_PATH] == 1, dict(jwks.hits)


def test_header_beyond_the_http_limit_is_a_clean_4xx(secured_bot: RunningBot, teams_user: TeamsUser) -> None:
    """Over aiohttp's 8190-byte header limit the HTTP layer answers 400 before the bot sees the request."""
    response = post(secured_bot, teams_user.activity(text="hej"), "Bearer " + "x" * 20_000)
    assert 400 <= response.status_code < 500 and "Traceback" not in response.text
    assert requests.get(f"{secured_bot.url}/healthz", timeout=5).status_code == 200


def test_the_bot_process_runs_on_uvloop(secured_bot: RunningBot) -> None:
    lines = [json.loads(line) for line in secured_bot.process.log_text().splitlines() if line.startswith("{")]
    ready = [line for line in lines if line.get("logger") == "vaern.app" and line.get("message") == "ready"]
    assert [line["event_loop"] for line in ready] == ["uvloop"]


def test_app_id_with_allow_unauthenticated_still_authenticates_and_says_so(secured_bot: RunningBot) -> None:
    output = secured_bot.process.log_text()
    assert "ALLOW_UNAUTHENTICATED is ignored" in output
    assert "requests are authenticated against http://127.0.0.1:" in output


# ---- a valid token is not enough: only Teams, only our tenant ---------------------------------------------------


def test_valid_token_for_another_channel_is_refused(
    secured_bot: RunningBot, teams_user: TeamsUser, jwks: JwksServer
) -> None:
    """A token signed by a key endorsed for Web Chat passes botbuilder's checks for a webchat activity; but there
    the client writes `from` itself (here the leader's Teams id and no aadObjectId), so the bot refuses it."""
    service_url = teams_user.connector.url
    before = data_snapshot(secured_bot.data_dir)
    log_before = len(secured_bot.process.log_text())
    for channel in ("webchat", "directline"):
        key = MULTI_CHANNEL_KEY if channel == "webchat" else WEBCHAT_ONLY_KEY
        activity = teams_user.activity(
            "invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": "refresh", "data": {"case_id": "0" * 32}}},
            channelId=channel,
            **{"from": {"id": "29:the-leaders-teams-id", "name": "Mallory"}},
        )
        token = bearer(jwks, service_url, key=key)
        response = post(secured_bot, activity, token)
        if channel == "webchat":
            assert response.status_code == 403 and response.json() == FORBIDDEN, response.text[:300]
        else:  # no key is endorsed for directline: botbuilder already refuses the token
            assert response.status_code == 401
    assert data_snapshot(secured_bot.data_dir) == before
    logged = secured_bot.process.log_text()[log_before:]
    assert "activity refused: channel not allowed" in logged and "29:the-leaders-teams-id" in logged


def test_valid_token_from_another_tenant_is_refused(
    secured_bot: RunningBot, connector: ConnectorStub, jwks: JwksServer
) -> None:
    outsider = TeamsUser(secured_bot.url, connector, tenant_id=str(uuid.uuid4()))
    before = data_snapshot(secured_bot.data_dir)
    mark = connector.mark()
    for activity in (outsider.activity(text="anmeld"), outsider.activity("messageReaction")):
        response = post(secured_bot, activity, bearer(jwks, outsider.connector.url))
        assert response.status_code == 403 and response.json() == FORBIDDEN, response.text[:300]
    assert data_snapshot(secured_bot.data_dir) == before
    assert connector.activities(outsider.conversation_id, since=mark) == []
    assert outsider.tenant_id in secured_bot.process.log_text()


def test_app_id_serves_the_app_tenant_and_says_so(secured_bot: RunningBot) -> None:
    assert f"activities are accepted from Teams in tenant(s) {DEFAULT_TENANT_ID}" in secured_bot.process.log_text()


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"MICROSOFT_APP_TENANT_ID": ""}, "ALLOWED_TENANT_IDS"),
        ({"ALLOWED_DEV_CHANNELS": "emulator"}, "ALLOWED_DEV_CHANNELS is for local development"),
        ({"MICROSOFT_APP_TENANT_ID": "", "ALLOWED_TENANT_IDS": DEFAULT_TENANT_ID}, "SingleTenant needs"),
    ],
    ids=["no tenant", "dev channels", "single tenant without its tenant"],
)
def test_app_id_with_unsafe_admission_settings_refuses_to_start(
    tmp_path: Path, jwks: JwksServer, settings: dict[str, str], says: str
) -> None:
    storage = BotStorage(backend="local", data_dir=tmp_path / "data")
    env = storage.env(
        **{
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": "not-a-real-secret",
            "MICROSOFT_APP_TENANT_ID": DEFAULT_TENANT_ID,
            "BOT_OPENID_METADATA_URL": jwks.metadata_url,
            **settings,
        }
    )
    process = BotProcess(env, workdir=tmp_path / "bot")
    with pytest.raises(BotStartError):
        process.start()
    assert process.returncode == 2
    refusal = [json.loads(line) for line in process.log_text().splitlines() if "refusing to start" in line]
    assert len(refusal) == 1 and refusal[0]["level"] == "CRITICAL" and says in refusal[0]["message"]


# ---- starting without an app id -------------------------------------------------------------------------------


def test_empty_app_id_without_explicit_opt_out_refuses_to_start(tmp_path: Path) -> None:
    storage = BotStorage(backend="local", data_dir=tmp_path / "data")
    process = BotProcess(storage.env(ALLOW_UNAUTHENTICATED="false"), workdir=tmp_path / "bot")
    with pytest.raises(BotStartError):
        process.start()
    assert process.returncode == 2
    output = process.log_text()
    refusal = [json.loads(line) for line in output.splitlines() if "refusing to start" in line]
    assert len(refusal) == 1 and refusal[0]["level"] == "CRITICAL"
    assert "MICROSOFT_APP_ID" in refusal[0]["message"] and "ALLOW_UNAUTHENTICATED=true" in refusal[0]["message"]
    assert "Traceback" not in output


def test_empty_app_id_with_explicit_opt_out_starts_and_warns(tmp_path: Path, connector: ConnectorStub) -> None:
    storage = BotStorage(backend="local", data_dir=tmp_path / "data")
    with BotProcess(storage.env(ALLOW_UNAUTHENTICATED="true"), workdir=tmp_path / "bot") as process:
        warnings = [
            json.loads(line)
            for line in process.log_text().splitlines()
            if line.startswith("{") and "NOT authenticated" in line
        ]
        assert len(warnings) == 1 and warnings[0]["level"] == "WARNING"
        assert "activities from ANY tenant are accepted" in process.log_text()
        user = TeamsUser(process.url, connector, tenant_id=str(uuid.uuid4()))
        assert post(process, user.activity("messageReaction"), None).status_code in (200, 201)
        # the Bot Framework Emulator's channel only when ALLOWED_DEV_CHANNELS names it
        emulator = user.activity("messageReaction", channelId="emulator")
        assert post(process, emulator, None).status_code == 403


def test_local_development_may_allow_the_emulator(tmp_path: Path, connector: ConnectorStub) -> None:
    storage = BotStorage(backend="local", data_dir=tmp_path / "data")
    env = storage.env(ALLOW_UNAUTHENTICATED="true", ALLOWED_DEV_CHANNELS="emulator")
    with BotProcess(env, workdir=tmp_path / "bot") as process:
        assert "channels emulator are accepted besides Teams" in process.log_text()
        user = TeamsUser(process.url, connector)
        emulator = user.activity("messageReaction", channelId="emulator", channelData={})
        emulator["conversation"].pop("tenantId")
        assert post(process, emulator, None).status_code in (200, 201)
        assert post(process, user.activity("messageReaction", channelId="webchat"), None).status_code == 403

"""Teams file consent: the card's shape, the accept/decline value read defensively, the file info card, where an
upload may go, and what the Agents SDK's own ActivityHandler answers to fileConsent/invoke."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from microsoft_agents.activity import Activity, Attachment
from microsoft_agents.hosting.core import ActivityHandler, TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from bot.adapter import create_adapter
from bot.config import Settings
from bot.file_consent import (
    FILE_CONSENT_CARD,
    FILE_CONSENT_INVOKE,
    FILE_INFO_CARD,
    MalformedConsent,
    UploadFailed,
    UploadInfo,
    check_upload_url,
    file_consent_attachment,
    file_info_attachment,
    read_consent,
    upload_file,
    upload_session,
)
from bot.plan_files import PLAN_CONTEXT, is_plan_consent

TOKEN = "0123456789abcdef0123456789abcdef"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
SHAREPOINT = ["*.sharepoint.com", "*.1drv.com"]


def accept(**upload: Any) -> dict[str, Any]:
    info = {
        "contentUrl": "https://contoso-my.sharepoint.com/personal/a/Documents/Applications/Sagspakke-VK-2026-0001.zip",
        "name": "Sagspakke-VK-2026-0001.zip",
        "uploadUrl": "https://contoso-my.sharepoint.com/personal/a/_api/v2.0/drive/items/01X/uploadSession?guid=1",
        "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D",
        "fileType": "zip",
    }
    return {"type": "fileUpload", "action": "accept", "context": {"package": TOKEN}, "uploadInfo": info | upload}


def on_the_wire(attachment: Attachment) -> dict[str, Any]:
    """The attachment's JSON as the connector client sends it."""
    return attachment.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_consent_card_is_the_teams_file_consent_attachment_with_only_a_token_as_context() -> None:
    attachment = file_consent_attachment("Sagspakke-VK-2026-0001.zip", "Sagspakke for VK-2026-0001", 9_517_073, TOKEN)
    wire = on_the_wire(attachment)
    assert wire["contentType"] == FILE_CONSENT_CARD == "application/vnd.microsoft.teams.card.file.consent"
    assert wire["name"] == "Sagspakke-VK-2026-0001.zip"
    assert wire["content"] == {
        "description": "Sagspakke for VK-2026-0001",
        "sizeInBytes": 9_517_073,
        "acceptContext": {"package": TOKEN},
        "declineContext": {"package": TOKEN},
    }


@pytest.mark.parametrize("token", ["", "VK-2026-0001", "../../cases/x", TOKEN.upper(), TOKEN + "0"])
def test_the_consent_context_can_only_carry_a_package_token(token: str) -> None:
    with pytest.raises(ValueError):
        file_consent_attachment("x.zip", "x", 1, token)


def test_an_accept_is_read_with_its_upload_info() -> None:
    reply = read_consent(accept())
    assert reply.action == "accept" and reply.token == TOKEN
    assert reply.upload == UploadInfo(
        name="Sagspakke-VK-2026-0001.zip",
        upload_url="https://contoso-my.sharepoint.com/personal/a/_api/v2.0/drive/items/01X/uploadSession?guid=1",
        content_url="https://contoso-my.sharepoint.com/personal/a/Documents/Applications/Sagspakke-VK-2026-0001.zip",
        unique_id="1150D938-8870-4044-9F2C-5BBDEBA70C9D",
        file_type="zip",
    )


def test_a_decline_needs_no_upload_info() -> None:
    reply = read_consent({"type": "fileUpload", "action": "decline", "context": {"package": TOKEN}})
    assert reply.action == "decline" and reply.token == TOKEN and reply.upload is None


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        "accept",
        {"action": "accept", "context": {"package": TOKEN}},  # no uploadInfo
        {**accept(), "uploadInfo": {"name": "x.zip"}},  # no uploadUrl
        {**accept(), "context": None},
        {**accept(), "context": {"package": 42}},
        {**accept(), "context": {"package": "ab"}},
        {**accept(), "context": {"case_id": TOKEN}},
        {**accept(), "action": "open"},
        {**accept(), "action": None},
    ],
)
def test_anything_teams_would_not_send_is_malformed(value: Any) -> None:
    with pytest.raises(MalformedConsent):
        read_consent(value)


def test_file_info_card_points_at_the_uploaded_file() -> None:
    attachment = on_the_wire(file_info_attachment(read_consent(accept()).upload, "fallback.zip"))  # type: ignore[arg-type]
    assert attachment["contentType"] == FILE_INFO_CARD == "application/vnd.microsoft.teams.card.file.info"
    assert attachment["name"] == "Sagspakke-VK-2026-0001.zip"
    assert attachment["contentUrl"].endswith("/Sagspakke-VK-2026-0001.zip")
    assert attachment["content"] == {"uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D", "fileType": "zip"}


def test_file_info_card_falls_back_to_the_offered_name() -> None:
    upload = UploadInfo(name="", upload_url="https://x", content_url="https://y", unique_id="u", file_type="")
    assert file_info_attachment(upload, "Politipakke-VK-1.zip").name == "Politipakke-VK-1.zip"
    assert file_info_attachment(upload, "Politipakke-VK-1.zip").content["fileType"] == "zip"
    assert file_info_attachment(upload, "Beredskabsplan_Jobcenter_Syd_v2.pdf").content["fileType"] == "pdf"


def test_the_plan_pdfs_card_has_its_own_context_key_and_is_routed_by_it() -> None:
    card = on_the_wire(file_consent_attachment("Beredskabsplan.pdf", "Beredskabsplan", 52_000, TOKEN, PLAN_CONTEXT))
    assert card["content"]["acceptContext"] == card["content"]["declineContext"] == {"plan": TOKEN}
    plan_accept = {**accept(), "context": {"plan": TOKEN}}
    assert is_plan_consent(plan_accept) and read_consent(plan_accept, PLAN_CONTEXT).token == TOKEN
    for other in (accept(), {**accept(), "context": {"plan": TOKEN, "package": TOKEN}}, None, "plan"):
        assert not is_plan_consent(other)
    with pytest.raises(MalformedConsent):
        read_consent(plan_accept)  # the packages' reader never takes a plan's token, nor the other way round
    with pytest.raises(MalformedConsent):
        read_consent(accept(), PLAN_CONTEXT)


@pytest.mark.parametrize(
    "url",
    [
        "https://contoso-my.sharepoint.com/personal/a/_api/v2.0/drive/items/01X/uploadSession?guid=1",
        "https://contoso.1drv.com/up/abc",
    ],
)
def test_uploads_go_to_the_users_onedrive(url: str) -> None:
    check_upload_url(url, SHAREPOINT, allow_http=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://contoso-my.sharepoint.com/upload",  # not https
        "https://evil.example.com/upload",
        "https://sharepoint.com.evil.example/upload",
        "https://user:pw@contoso-my.sharepoint.com/upload",
        "https://127.0.0.1/upload",
        "ftp://contoso-my.sharepoint.com/upload",
        "not a url",
        "",
    ],
)
def test_uploads_anywhere_else_are_refused(url: str) -> None:
    with pytest.raises(UploadFailed):
        check_upload_url(url, SHAREPOINT, allow_http=False)


def test_plain_http_is_allowed_only_when_configured_for_tests() -> None:
    check_upload_url("http://127.0.0.1:8080/upload/x.zip", ["127.0.0.1"], allow_http=True)
    with pytest.raises(UploadFailed):
        check_upload_url("http://127.0.0.1:8080/upload/x.zip", ["127.0.0.1"], allow_http=False)


# --- what the Agents SDK's own ActivityHandler does with fileConsent/invoke (sdk-notes) ---------------------------


def _invoke(value: Any) -> Activity:
    return Activity.model_validate(
        {
            "type": "invoke",
            "name": FILE_CONSENT_INVOKE,
            "value": value,
            "channelId": "msteams",
            "serviceUrl": SERVICE_URL,
            "from": {"id": "29:user"},
            "recipient": {"id": "28:bot"},
            "conversation": {"id": "a:1", "conversationType": "personal"},
        }
    )


@pytest.mark.parametrize(
    "value",
    [
        accept(),
        {"type": "fileUpload", "action": "decline", "context": {"package": TOKEN}},
        {**accept(), "action": "open"},
        "junk",
        None,
        {"action": "accept", "context": "x", "uploadInfo": "y"},
    ],
)
async def test_the_sdks_own_handler_answers_every_file_consent_with_501(value: Any) -> None:
    """The Agents SDK (1.9.0, no Teams extension installed) has no file consent route: its ActivityHandler answers
    fileConsent/invoke, well-formed or not, with 501 Not Implemented and no body, and raises nothing. Teams would
    show the person an error and no upload would follow, so Værn reads the value itself (read_consent) and routes
    fileConsent/invoke to bot.case_packages / bot.plan_files before the SDK sees it (bot/handler.py)."""
    settings = Settings(_env_file=None, microsoft_app_id="", allow_unauthenticated=True)  # type: ignore[call-arg]
    adapter, clients = create_adapter(settings)
    turn_errors: list[Exception] = []

    async def on_turn_error(_: Any, error: Exception) -> None:
        turn_errors.append(error)

    adapter.on_turn_error = on_turn_error
    handler = ActivityHandler()
    try:
        direct = await handler.on_invoke_activity(TurnContext(adapter, _invoke(value)))
        assert direct is not None and (direct.status, direct.body) == (501, None)
        response = await adapter.process_activity(ClaimsIdentity({}, False), _invoke(value), handler.on_turn)
    finally:
        await clients.close()
    assert response is not None and (response.status, response.body) == (501, None)
    assert turn_errors == []


async def test_an_upload_host_that_resolves_to_a_private_address_is_never_connected_to(tmp_path: Path) -> None:
    """`localhost` passes the name allowlist here, but resolves to 127.0.0.1: the guarded session refuses it."""
    received: list[str] = []

    async def accept(request: web.Request) -> web.Response:
        received.append(request.path)
        return web.Response(status=201)

    app = web.Application()
    app.router.add_put("/{name}", accept)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    package = tmp_path / "plan.pdf"
    package.write_bytes(b"%PDF-1.7 test")
    try:
        url = f"http://localhost:{port}/plan.pdf"
        check_upload_url(url, ["localhost"], allow_http=True)  # the name check alone would let it through
        async with upload_session() as session:
            with pytest.raises(UploadFailed):
                await upload_file(session, url, package)
            await upload_file(session, f"http://127.0.0.1:{port}/plan.pdf", package)  # an allowed literal still works
    finally:
        await runner.cleanup()
    assert received == ["/plan.pdf"]

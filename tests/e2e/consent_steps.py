"""Shared steps for files offered with a Teams file consent card (case packages, the plan PDF): find the consent
cards of a turn, answer one as Teams does, collect what the bot uploaded, read a PDF's text."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.connector_stub import ConnectorStub
from tests.support.teams import TeamsUser

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


def consent_cards(activities: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(activity, attachment) for each file consent card among the activities."""
    return [
        (activity, attachment)
        for activity in activities
        for attachment in activity.get("attachments") or []
        if attachment.get("contentType") == FILE_CONSENT
    ]


def accept(person: TeamsUser, activity: dict[str, Any], card: dict[str, Any], connector: ConnectorStub, name: str):
    """What Teams sends when the person chooses Allow: the card's acceptContext and an upload session."""
    value = {
        "type": "fileUpload",
        "action": "accept",
        "context": card["content"]["acceptContext"],
        "uploadInfo": {
            "contentUrl": f"https://contoso-my.sharepoint.com/personal/x/Documents/Applications/{name}",
            "name": name,
            "uploadUrl": connector.upload_url(name),
            "uniqueId": str(uuid.uuid4()).upper(),
            "fileType": name.rpartition(".")[2],
        },
    }
    return person.invoke("fileConsent/invoke", value, reply_to_id=activity["id"])


def decline(person: TeamsUser, activity: dict[str, Any], card: dict[str, Any]):
    """What Teams sends when the person chooses Decline."""
    value = {"type": "fileUpload", "action": "decline", "context": card["content"]["declineContext"]}
    return person.invoke("fileConsent/invoke", value, reply_to_id=activity["id"])


def uploaded_file(connector: ConnectorStub, name: str, folder: Path) -> Path:
    """The one upload of `name`, written to `folder`."""
    uploads = connector.uploads(name)
    assert len(uploads) == 1, f"{len(uploads)} uploads of {name}"
    path = folder / name
    path.write_bytes(b"".join(call.body for call in uploads))
    return path


def pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed")
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()

"""A user's turn as the report dialog sees it: typed text, card values, files, and navigation words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialogs.attachments import IncomingFile, incoming_files
from dialogs.turn import Activity
from domain.reporting import clean_free_text

CANCEL_WORDS = {"annuller", "annullér", "afbryd", "stop", "cancel", "quit"}
BACK_WORDS = {"tilbage", "back"}
HELP_WORDS = {"hjælp", "hjaelp", "help", "?"}
DONE_WORDS = {"færdig", "faerdig", "done", "finished", "slut"}
NONE_WORDS = {"ingen", "nej", "none", "no", "-"}
YES_WORDS = {"ja", "yes", "j", "y"}
NO_WORDS = {"nej", "no", "n"}


@dataclass
class Reply:
    text: str = ""
    value: dict[str, Any] = field(default_factory=dict)
    files: list[IncomingFile] = field(default_factory=list)

    @property
    def word(self) -> str:
        """The text folded for matching commands ('Annuller' → 'annuller')."""
        return " ".join(self.text.lower().split()).strip(" .!")

    @property
    def navigation(self) -> str | None:
        if self.value.get("nav") in ("back", "cancel"):
            return str(self.value["nav"])
        if self.word in CANCEL_WORDS:
            return "cancel"
        if self.word in BACK_WORDS:
            return "back"
        if self.word in HELP_WORDS:
            return "help"
        return None

    def field(self, name: str) -> str:
        """A card input value as clean text ('' when missing or not text)."""
        value = self.value.get(name)
        return clean_free_text(value) if isinstance(value, str) else ""

    @property
    def answer(self) -> str:
        """The button the user pressed, or their typed word."""
        pressed = self.value.get("answer")
        return pressed if isinstance(pressed, str) else self.word


def reply_from(activity: Activity) -> Reply:
    value = activity.value if isinstance(activity.value, dict) else {}
    return Reply(text=clean_free_text(activity.text or ""), value=value, files=incoming_files(activity.attachments))

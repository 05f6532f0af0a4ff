"""A user's turn as the report dialog sees it: typed text, card values, files, and navigation words (the words are
in content's [commands]; code names only the ids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from content import command_words
from dialogs.attachments import IncomingFile, incoming_files
from dialogs.turn import Activity
from domain.reporting import clean_free_text


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
        for command in ("cancel", "back", "help"):
            if self.typed(command):
                return command
        return None

    def typed(self, command: str) -> bool:
        """The typed text is one of the command's words (content's [commands], any language)."""
        return self.word in command_words(command)

    def says(self, *answers: str) -> bool:
        """The pressed button is one of these answers, or the typed text is one of their words."""
        return self.answer in answers or any(self.answer in command_words(answer) for answer in answers)

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

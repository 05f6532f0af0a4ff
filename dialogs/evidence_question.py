"""The evidence step: secure every file and pasted text at once, say its short hash, never drop one silently."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from cards import report as cards
from cards.markdown import escape_markdown
from dialogs.attachments import IncomingFile
from dialogs.question import NEXT, STAY, Asking, Question, Step
from dialogs.replies import Reply
from dialogs.typing_indicator import typing_while_busy
from domain.evidence import EvidenceSource, clean_original_name
from domain.refusals import EvidenceRefused


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def together_in_one_message(*texts: str) -> str:
    """Texts said at once, as paragraphs of one message (one bubble on the phone, one call to Teams)."""
    return "\n\n".join(text for text in texts if text)


async def secure_files(asking: Asking, files: list[IncomingFile]) -> str:
    """Download and store each file; the user hears the outcome of every single one.

    Each outcome is said as its file is done, but the last, which is returned for the caller to say with what
    comes next (`together_in_one_message`): an upload answered in one message instead of two. Teams shows the
    typing indicator while a download takes longer than half a second (`dialogs.typing_indicator`).
    """
    async with typing_while_busy(asking.turn):
        return await _secure_each(asking, files)


async def _secure_each(asking: Asking, files: list[IncomingFile]) -> str:
    token: str | None = None
    outcome = ""
    for file in files:
        if outcome:
            await asking.say(outcome)
        if file.needs_bot_token and token is None:
            token = await asking.turn.bot_token()
        stream = asking.services.downloader.stream(file.url, token if file.needs_bot_token else None)
        try:
            async with aclosing(stream) as chunks:
                item = await asking.services.intake.secure(
                    asking.draft.case_id,
                    chunks,
                    original_name=file.name,
                    uploaded_by=asking.draft.reporter.user_id,
                    source=file.source,
                )
        except EvidenceRefused as refusal:
            outcome = _refusal_text(asking, file.name, refusal)
            continue
        outcome = asking.texts(
            "evidence.saved",
            name=escape_markdown(item.original_name),
            size=human_size(item.size),
            short_hash=item.short_hash,
        )
    return outcome


async def secure_text(asking: Asking, text: str) -> str:
    """Store pasted text as evidence; returns its outcome for the caller to say with what comes next."""
    count = len(await asking.services.evidence.list_items(asking.draft.case_id))
    try:
        item = await asking.services.intake.secure(
            asking.draft.case_id,
            _one_chunk(text.encode("utf-8")),
            original_name=f"tekst-{count + 1}.txt",
            uploaded_by=asking.draft.reporter.user_id,
            source=EvidenceSource.PASTED_TEXT,
        )
    except EvidenceRefused as refusal:
        return _refusal_text(asking, "tekst", refusal)
    return asking.texts("evidence.saved_text", short_hash=item.short_hash)


def _refusal_text(asking: Asking, name: str, refusal: EvidenceRefused) -> str:
    """The kind refusal, naming the file as it will be recorded (cleaned: no control or direction characters)."""
    shown = escape_markdown(clean_original_name(name))
    return asking.texts(f"evidence.refused_{refusal.reason.value}", name=shown, max_mb=asking.services.max_evidence_mb)


class EvidenceQuestion(Question):
    key = "evidence"
    expects_short_answer = False  # pasted text is what it asks for

    async def ask(self, asking: Asking) -> None:
        count = len(await asking.services.evidence.list_items(asking.draft.case_id))
        await asking.show(cards.evidence_card(asking.texts, count))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        if reply.files:
            await self._how_many(asking, after=await secure_files(asking, reply.files))
            return STAY
        if reply.answer == "done" or reply.typed("done"):
            return NEXT
        pasted = reply.field("pasted_text") if reply.value else reply.text
        outcome = await secure_text(asking, pasted) if pasted else ""
        await self._how_many(asking, after=outcome)
        return STAY

    @staticmethod
    async def _how_many(asking: Asking, after: str) -> None:
        """How many pieces of evidence the report holds, said with the outcome of what was just sent."""
        count = len(await asking.services.evidence.list_items(asking.draft.case_id))
        await asking.say(together_in_one_message(after, asking.texts("evidence.more", count=count)))

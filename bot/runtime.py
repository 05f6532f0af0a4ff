"""Everything the running bot is made of, built once at start-up from the settings and closed at shutdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from botbuilder.core import ConversationState
from botbuilder.integration.aiohttp import CloudAdapter

from bot.adapter import create_adapter
from bot.config import Settings
from bot.evidence_download import SafeDownloader
from bot.handler import VaernBot
from dialogs.report import ReportDialog
from dialogs.report_services import ReportServices
from domain.clock import SystemClock
from domain.evidence import EvidencePolicy
from storage.backends import StorageBackend, open_backend
from storage.cases import CaseRepository, ReferenceCounter
from storage.dialog_state import DocumentDialogStateStorage
from storage.evidence_intake import EvidenceIntake

log = logging.getLogger("vaern.runtime")


@dataclass
class Runtime:
    adapter: CloudAdapter
    bot: VaernBot
    backend: StorageBackend
    downloader: SafeDownloader

    async def close(self) -> None:
        await self.downloader.close()
        await self.backend.close()


RUNTIME = web.AppKey("runtime", Runtime)


async def build_runtime(settings: Settings) -> Runtime:
    backend = await open_backend(settings)
    clock = SystemClock()
    downloader = SafeDownloader(
        allowed_hosts=settings.evidence_allowed_hosts,
        allow_http=settings.evidence_allow_http,
        max_bytes=settings.evidence_max_bytes,
        timeout_seconds=settings.evidence_download_timeout_seconds,
    )
    services = ReportServices(
        cases=CaseRepository(backend.documents),
        references=ReferenceCounter(backend.documents, settings.case_reference_prefix),
        evidence=backend.evidence,
        intake=EvidenceIntake(backend.evidence, EvidencePolicy(max_bytes=settings.evidence_max_bytes), clock),
        downloader=downloader,
        clock=clock,
        max_evidence_mb=settings.evidence_max_bytes // (1024 * 1024),
    )
    conversation_state = ConversationState(DocumentDialogStateStorage(backend.documents))
    bot = VaernBot(conversation_state, ReportDialog(services, settings.crisis_line), settings.crisis_line)
    if not settings.microsoft_app_id:
        log.warning("MICROSOFT_APP_ID is empty: requests are not authenticated (local testing only)")
    log.info("storage backend: %s", settings.storage_backend)
    return Runtime(create_adapter(settings), bot, backend, downloader)

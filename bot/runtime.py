"""Everything the running bot is made of, built once at start-up from the settings and closed at shutdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter

from bot.adapter import create_adapter
from bot.card_actions import CardActionHandler
from bot.case_notifications import CaseNotifications
from bot.case_packages import CasePackages
from bot.case_service import CaseActions
from bot.config import Settings
from bot.connector_client import close_connector_pool, use_connector_pool
from bot.evidence_download import SafeDownloader
from bot.gc_tuning import tune_garbage_collector
from bot.handler import VaernBot
from bot.proactive import OutboxWorker, ProactiveSender
from bot.roles import load_directory
from dialogs.add_evidence import AddEvidenceDialog
from dialogs.choose_leader import ChooseLeaderDialog
from dialogs.my_cases import MyCases
from dialogs.report import ReportDialog
from dialogs.report_services import ReportServices
from dialogs.response_plan import DRAFT_PROPERTY, ResponsePlanDialog, ResponsePlanViewer
from domain.clock import SystemClock
from domain.evidence import EvidencePolicy
from storage.audit import AuditLog
from storage.backends import StorageBackend, open_backend
from storage.case_index import CaseIndex
from storage.cases import CaseRepository, ReferenceCounter
from storage.conversation_refs import ConversationReferenceStore
from storage.dialog_state import DocumentDialogStateStorage, EncodedConversationState
from storage.evidence_intake import EvidenceIntake
from storage.leader_assignments import LeaderAssignments
from storage.outbox import Outbox
from storage.package_offers import PackageOffers
from storage.response_plans import ResponsePlanRepository

log = logging.getLogger("vaern.runtime")


@dataclass
class Runtime:
    adapter: CloudAdapter
    bot: VaernBot
    backend: StorageBackend
    downloader: SafeDownloader
    outbox_worker: OutboxWorker
    packages: CasePackages

    async def close(self) -> None:
        await self.outbox_worker.stop()
        await self.packages.close()
        await close_connector_pool(self.adapter)
        await self.downloader.close()
        await self.backend.close()


RUNTIME = web.AppKey("runtime", Runtime)


async def build_runtime(settings: Settings) -> Runtime:
    backend = await open_backend(settings)
    documents, clock = backend.documents, SystemClock()
    adapter = use_connector_pool(create_adapter(settings))  # one connector client per serviceUrl, keep-alive
    directory = load_directory(settings.directory_file)
    references = ConversationReferenceStore(documents)
    cases = CaseRepository(documents)
    case_index = CaseIndex(documents)
    audit = AuditLog(documents)
    outbox = Outbox(documents)
    worker = OutboxWorker(
        outbox,
        ProactiveSender(adapter, settings.microsoft_app_id, references),
        clock,
        interval_seconds=settings.outbox_interval_seconds,
    )
    notifications = CaseNotifications(
        directory, LeaderAssignments(documents), outbox, worker, clock, settings.crisis_line
    )
    downloader = SafeDownloader(
        allowed_hosts=settings.evidence_allowed_hosts,
        allow_http=settings.evidence_allow_http,
        max_bytes=settings.evidence_max_bytes,
        timeout_seconds=settings.evidence_download_timeout_seconds,
    )
    services = ReportServices(
        cases=cases,
        references=ReferenceCounter(documents, settings.case_reference_prefix),
        evidence=backend.evidence,
        intake=EvidenceIntake(backend.evidence, EvidencePolicy(max_bytes=settings.evidence_max_bytes), clock),
        downloader=downloader,
        clock=clock,
        max_evidence_mb=settings.evidence_max_bytes // (1024 * 1024),
        notifications=notifications,
        case_index=case_index,
    )
    card_actions = CardActionHandler(
        CaseActions(cases, backend.evidence, audit, clock),
        notifications,
        directory,
        backend.evidence,
        settings.crisis_line,
    )
    conversation_state = EncodedConversationState(DocumentDialogStateStorage(documents))  # one encode per turn
    plans = ResponsePlanRepository(documents)
    dialogs = [
        ReportDialog(services, settings.crisis_line),
        ChooseLeaderDialog(cases, backend.evidence, notifications, directory, settings.crisis_line),
        AddEvidenceDialog(services, audit, settings.crisis_line),
        ResponsePlanDialog(
            plans, directory, clock, settings.crisis_line, conversation_state.create_property(DRAFT_PROPERTY)
        ),
    ]
    plan_viewer = ResponsePlanViewer(plans, directory, clock, settings.crisis_line)
    my_cases = MyCases(cases, case_index, backend.evidence, settings.crisis_line)
    packages = CasePackages(
        cases,
        backend.evidence,
        audit,
        PackageOffers(documents),
        directory,
        clock,
        folder=settings.data_dir / "packages",  # built ZIPs wait here until accepted (24 h at most)
        crisis_line=settings.crisis_line,
        upload_hosts=settings.evidence_allowed_hosts,  # the OneDrive/SharePoint hosts Teams files live on
        upload_allow_http=settings.evidence_allow_http,
        person_cases=case_index.case_ids_for,
    )
    bot = VaernBot(
        conversation_state, dialogs, card_actions, references, settings.crisis_line, my_cases, packages, plan_viewer
    )
    log.info("storage backend: %s", settings.storage_backend)
    tune_garbage_collector()  # after start-up: freeze what it made, collect less often (bot/gc_tuning.py)
    worker.start()
    return Runtime(adapter, bot, backend, downloader, worker, packages)

"""Everything the running bot is made of, built once at start-up from the settings and closed at shutdown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter

from bot.adapter import create_adapter
from bot.card_actions import CardActionHandler
from bot.case_packages import CasePackages
from bot.config import Settings
from bot.directory_source import app_installer, open_directory
from bot.handler import VaernBot
from bot.pacing import SendPacer
from bot.plan_files import PlanFiles
from bot.privacy_routes import data_protection_officer
from bot.proactive import OutboxWorker, ProactiveSender
from bot.reply_clients import ReplyClients
from bot.retention import build_immutability, build_retention, immutability_on
from cards.common import prepare_card_models
from cards.privacy import privacy_notice_card
from content import texts_for
from dialogs.add_evidence import AddEvidenceDialog
from dialogs.choose_leader import ChooseLeaderDialog
from dialogs.evidence_placement import WhichCaseDialog
from dialogs.my_cases import MyCases
from dialogs.report import ReportDialog
from dialogs.response_plan import ResponsePlanDialog, ResponsePlanViewer
from directory.graph import GraphDirectory
from domain.clock import Clock, SystemClock
from domain.evidence import EvidencePolicy
from domain.follow_ups import FollowUps
from domain.retention import ImmutabilityConflict, immutability_conflicts
from services.case_records import CaseRecords
from services.case_service import CaseActions
from services.case_sweep import sweep_cases
from services.follow_up_planner import FollowUpPlanner
from services.follow_up_worker import FollowUpWorker
from services.follow_ups import FollowUpHandler
from services.notifications import CaseNotifications
from services.overview import Overview
from services.plan_reminders import PlanRevisionReminders
from services.reassignment import Reassignment
from services.refused_access import RefusedAccess
from services.reopen_requests import ReopenRequests
from services.reporting import ReportServices
from services.subject_requests import SubjectRequests
from services.unfinished_actions import UnfinishedActions
from services.work_environment import WorkEnvironmentGroup
from storage.audit import AuditLog
from storage.backends import StorageBackend, open_backend, open_job_queue
from storage.case_index import CaseIndex
from storage.cases import CaseRepository, ReferenceCounter
from storage.conversation_refs import ConversationReferenceStore
from storage.conversation_state import ConversationStateStore
from storage.evidence_download import SafeDownloader
from storage.evidence_intake import EvidenceIntake
from storage.job_queue import JobQueue
from storage.leader_assignments import LeaderAssignments
from storage.outbox import Outbox
from storage.package_offers import PackageOffers, PlanOffers
from storage.package_signing import PackageSigner, load_package_signer
from storage.response_plans import ResponsePlanRepository

log = logging.getLogger("vaern.runtime")


@dataclass
class Runtime:
    adapter: CloudAdapter
    reply_clients: ReplyClients
    bot: VaernBot
    backend: StorageBackend
    downloader: SafeDownloader
    outbox_worker: OutboxWorker
    follow_up_worker: FollowUpWorker
    jobs: JobQueue
    packages: CasePackages
    plan_files: PlanFiles
    overview: Overview
    reassignment: Reassignment  # HR gives a case to another leader from the Overblik tab
    subject_requests: SubjectRequests
    graph_directory: GraphDirectory | None = None  # DIRECTORY_SOURCE=graph: its refresh and health
    work_environment: WorkEnvironmentGroup | None = None  # the arbejdsmiljøgruppe's view in the Overblik tab

    async def close(self) -> None:
        if self.graph_directory is not None:
            await self.graph_directory.close()
        await self.follow_up_worker.stop()
        await self.outbox_worker.stop()
        await self.jobs.close()
        await self.packages.close()
        await self.plan_files.close()
        await self.reply_clients.close()
        await self.downloader.close()
        await self.backend.close()


RUNTIME = web.AppKey("runtime", Runtime)


def privacy_notice_for(settings: Settings) -> Callable[[str | None], dict[str, Any]]:
    """The privacy notice card in a person's language, from the settings (retention, data protection officer)."""
    officer = data_protection_officer(settings)

    def notice(locale: str | None) -> dict[str, Any]:
        texts = texts_for(locale, settings.crisis_line, settings.organisation_name)
        return privacy_notice_card(texts, settings.retention, officer)

    return notice


IMMUTABILITY_WARNINGS = {
    ImmutabilityConflict.CLOSED_CASES: "EVIDENCE_IMMUTABILITY_DAYS=%d is longer than RETENTION__CLOSED_CASE_YEARS=%d "
    "(x 365 days): closed cases' evidence cannot be deleted when due; shorten the policy (docs/production-storage.md)",
    ImmutabilityConflict.DRAFTS: "EVIDENCE_IMMUTABILITY_DAYS=%d is longer than RETENTION__DRAFT_DAYS=%d: a draft's "
    "evidence stays until the policy ends, also when its author deletes the draft (docs/production-storage.md)",
}


async def check_evidence_immutability(settings: Settings, evidence: object) -> None:
    """Warn at start when the evidence container's immutability policy (EVIDENCE_IMMUTABILITY_DAYS) would keep
    evidence past its deletion date (domain.retention.immutability_conflicts), and, on Azure, when the container's
    own answer (a policy or none) disagrees with the setting. Never stops the start."""
    days, retention = settings.evidence_immutability_days, settings.retention
    for conflict in immutability_conflicts(days, retention):
        period = retention.closed_case_years if conflict is ImmutabilityConflict.CLOSED_CASES else retention.draft_days
        log.warning(IMMUTABILITY_WARNINGS[conflict], days, period)
    probe = getattr(evidence, "has_immutability_policy", None)
    if probe is None:
        return
    try:
        has_policy = await probe()
    except Exception as error:  # a start-up hint only: storage that cannot say is not a reason to stop
        log.warning("could not read the evidence container's immutability policy (%s)", type(error).__name__)
        return
    if has_policy and days == 0:
        log.warning("the evidence container has an immutability policy: set EVIDENCE_IMMUTABILITY_DAYS to its period")
    if not has_policy and days > 0:
        log.warning("EVIDENCE_IMMUTABILITY_DAYS=%d but the evidence container has no immutability policy", days)


async def build_runtime(settings: Settings, clock: Clock | None = None, signer: PackageSigner | None = None) -> Runtime:
    """Everything from the settings; `clock` is the server's own unless a test moves time; `signer` is the one
    app.py loaded at start (else loaded here)."""
    clock = clock or SystemClock()
    signer = signer or load_package_signer(settings.signing_key_source())
    backend = await open_backend(settings.storage_choice())
    await check_evidence_immutability(settings, backend.evidence)
    documents = backend.documents
    jobs = await open_job_queue(settings.storage_choice(), documents, clock)
    adapter, reply_clients = create_adapter(settings)
    directory, graph_directory = await open_directory(settings)
    references = ConversationReferenceStore(documents)
    calendar, unit_calendars = settings.working_calendars()
    this_year = clock.now().year
    calendar.load_days_off(range(this_year - 1, this_year + 3))  # deadlines reach into the next years
    follow_ups = FollowUps(settings.follow_up, calendar, unit_calendars)
    records = CaseRecords(backend.case_table, follow_ups)  # the overview's rows, after every write of a case
    cases = CaseRepository(documents, on_saved=records.saved)
    case_index = CaseIndex(documents)
    audit = AuditLog(documents)
    outbox = Outbox(
        documents,
        max_delay_seconds=settings.outbox_max_delay_seconds,
        retry_budget_seconds=settings.outbox_retry_hours * 3600,
    )
    worker = OutboxWorker(
        outbox,
        ProactiveSender(
            adapter, settings.microsoft_app_id, references, installer=app_installer(settings, graph_directory)
        ),
        clock,
        interval_seconds=settings.outbox_interval_seconds,
        lease_seconds=settings.outbox_lease_seconds,
        pacer=SendPacer(settings.pacing_per_conversation, settings.pacing_per_tenant),
        max_failures_per_round=settings.outbox_max_failures_per_round,
        dead_letter_retry_seconds=settings.outbox_dead_letter_retry_minutes * 60,
    )
    planner = FollowUpPlanner(
        follow_ups, jobs, clock, settings.retention, evidence_immutability=immutability_on(settings)
    )
    notifications = CaseNotifications(
        directory,
        LeaderAssignments(documents),
        outbox,
        worker,
        clock,
        settings.crisis_line,
        planner,
        hr_intake=settings.hr_intake_function,
        organisation=settings.organisation_name,
        references=references,
        on_call_phone=settings.on_call_phone,
        audit=audit,
    )
    plans = ResponsePlanRepository(documents)
    unfinished = UnfinishedActions(backend.evidence, audit, notifications, clock)
    plan_reminders = PlanRevisionReminders(plans, directory, references, notifications, follow_ups, jobs)
    retention = build_retention(settings, backend, jobs, notifications, clock, outbox)
    follow_up_worker = FollowUpWorker(
        jobs,
        FollowUpHandler(
            cases,
            backend.evidence,
            audit,
            follow_ups,
            notifications,
            jobs,
            clock,
            plan_reminders,
            retention,
            build_immutability(settings, cases, backend.evidence),
        ),
        [lambda: sweep_cases(cases, [unfinished.complete, planner.plan, records.saved]), plan_reminders.sweep],
        clock,
        settings.scheduler_interval_seconds,
        on_effect=worker,
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
    case_actions = CaseActions(cases, backend.evidence, audit, clock, directory)
    card_actions = CardActionHandler(
        case_actions,
        notifications,
        directory,
        backend.evidence,
        settings.crisis_line,
    )
    plan_files = PlanFiles(
        plans,
        directory,
        PlanOffers(documents),
        clock,
        folder=settings.data_dir / "plan-files",  # plan PDFs wait here until accepted (24 h at most)
        crisis_line=settings.crisis_line,
        upload_hosts=settings.evidence_allowed_hosts,
        upload_allow_http=settings.evidence_allow_http,
    )
    plan_viewer = ResponsePlanViewer(plans, directory, clock, settings.crisis_line, plan_files)
    dialogs = [
        ReportDialog(services, settings.crisis_line, has_plan=plan_viewer.has_plan),
        ChooseLeaderDialog(cases, backend.evidence, notifications, directory, settings.crisis_line, case_actions),
        AddEvidenceDialog(services, audit, settings.crisis_line),
        WhichCaseDialog(cases, settings.crisis_line),
        ResponsePlanDialog(
            plans,
            directory,
            clock,
            settings.crisis_line,
            on_saved=plan_reminders.plan,
        ),
    ]
    refusals = RefusedAccess(audit, clock)
    my_cases = MyCases(
        cases,
        case_index,
        backend.evidence,
        settings.crisis_line,
        planner.next_check_in,
        refusals=refusals,
        audit=audit,
        delete_draft=retention.delete_draft,
        reopen_requests=ReopenRequests(cases, case_actions, notifications, backend.evidence, refusals),
    )
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
        signer=signer,
        hr_intake=settings.hr_intake_function,
    )
    bot = VaernBot(
        ConversationStateStore(documents),
        dialogs,
        card_actions,
        references,
        settings.crisis_line,
        my_cases,
        packages,
        plan_viewer,
        plan_files,
        privacy_notice_for(settings),
    )
    log.info("storage backend: %s", settings.storage_backend)
    prepare_card_models()  # before the freeze below: the first people do not wait for pydantic's schema builds
    worker.start()
    if settings.scheduler_in_app:
        follow_up_worker.start()
    overview = Overview(
        backend.case_table, cases, audit, directory, clock, settings.hr_intake_function.value, notifications
    )
    return Runtime(
        adapter,
        reply_clients,
        bot,
        backend,
        downloader,
        worker,
        follow_up_worker,
        jobs,
        packages,
        plan_files,
        overview,
        Reassignment(cases, case_actions, notifications, backend.evidence, directory, audit, clock),
        SubjectRequests(cases, backend.evidence, audit, clock, signer),
        graph_directory,
        WorkEnvironmentGroup(backend.case_table, cases, backend.evidence, audit, notifications, clock),
    )

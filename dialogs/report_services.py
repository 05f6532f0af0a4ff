"""What the report dialog needs from the rest of the bot, gathered in one object."""

from __future__ import annotations

from dataclasses import dataclass

from bot.case_notifications import CaseNotifications
from bot.evidence_download import SafeDownloader
from domain.clock import Clock
from storage.case_index import CaseIndex
from storage.cases import CaseRepository, ReferenceCounter
from storage.evidence_intake import EvidenceIntake
from storage.ports import EvidenceStore


@dataclass
class ReportServices:
    cases: CaseRepository
    references: ReferenceCounter
    evidence: EvidenceStore
    intake: EvidenceIntake
    downloader: SafeDownloader
    clock: Clock
    max_evidence_mb: int
    notifications: CaseNotifications
    case_index: CaseIndex

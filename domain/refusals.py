"""Why a piece of evidence or a download was refused; each reason has a kind text in content/."""

from enum import StrEnum


class RefusalReason(StrEnum):
    TOO_LARGE = "too_large"
    TYPE_NOT_ALLOWED = "type_not_allowed"
    EMPTY = "empty"
    HOST_NOT_ALLOWED = "host_not_allowed"
    INSECURE_URL = "insecure_url"
    DOWNLOAD_FAILED = "download_failed"
    NOT_STORED = "not_stored"  # storage could not take it (a full disk, storage unreachable): send it again


class EvidenceRefused(Exception):
    """Raised before anything is stored (or after the partial write was discarded)."""

    def __init__(self, reason: RefusalReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail

"""All settings, read from the environment and `.env` (Bot Framework sample names kept for operators)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from content import DEFAULT_ORGANISATION
from domain.follow_ups import FollowUpPolicy
from domain.handling import HrFunction
from domain.retention import EvidenceImmutability, RetentionPolicy
from domain.working_time import WorkingCalendar, WorkingHours
from storage.azure_account import endpoint_problem
from storage.backends import StorageChoice
from storage.package_signing import DEFAULT_KEY_NAME, SigningKeySource

DEFAULT_EVIDENCE_HOSTS = [
    "*.sharepoint.com",
    "*.sharepoint.de",
    "*.svc.ms",
    "*.1drv.com",
    "*.onedrive.com",
    "smba.trafficmanager.net",
    "*.asm.skype.com",
    "*.teams.microsoft.com",
    "graph.microsoft.com",
]

# Where the Bot Connector's token signing keys are published (the Bot Framework's OpenID metadata).
BOT_FRAMEWORK_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
# Where Entra ID publishes the keys that sign its tokens (the Overblik tab's single sign-on).
ENTRA_OPENID_METADATA_URL = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"


CATALOG_ID = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"  # a GUID, or empty


class GraphUnitGroups(BaseModel):
    """One unit's Entra groups (object ids) for the Graph directory."""

    model_config = ConfigDict(extra="forbid")

    deputies: str | None = None
    work_environment_group: str | None = None
    safety_representatives: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_nested_delimiter="__"
    )

    host: str = "127.0.0.1"
    port: int = 3978

    microsoft_app_id: str = ""
    microsoft_app_password: str = ""
    microsoft_app_tenant_id: str = ""
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = "SingleTenant"
    # Every /api/messages request must carry a Bot Connector token verified against this OpenID metadata
    # (another cloud, or a local stand-in in tests). Answering unauthenticated requests needs BOTH an empty
    # MICROSOFT_APP_ID and ALLOW_UNAUTHENTICATED=true (local testing only); an empty app id alone refuses to start.
    bot_openid_metadata_url: str = Field(default=BOT_FRAMEWORK_OPENID_METADATA_URL, pattern=r"^https?://\S+$")
    allow_unauthenticated: bool = False
    # Who may talk to the bot (bot/admission.py). Only Teams (channel msteams) from these Microsoft 365 tenants;
    # empty: MICROSOFT_APP_TENANT_ID. With an app id one of the two is required. ALLOWED_DEV_CHANNELS adds
    # "emulator" and/or "webchat" for local development, only without an app id.
    allowed_tenant_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allowed_dev_channels: Annotated[list[str], NoDecode] = Field(default_factory=list)

    storage_backend: Literal["local", "azure"] = "local"
    data_dir: Path = Path("data")
    azure_storage_connection_string: str = ""
    azure_container_prefix: str = Field(default="vaern", pattern=r"^[a-z0-9]{3,40}$")
    # Instead of a connection string (preferred: no key to keep): the account's blob endpoint,
    # https://<account>.blob.core.windows.net, reached with the app's managed identity (user-assigned when
    # AZURE_STORAGE_CLIENT_ID names it). Every endpoint must be https, plain http only for a local Azurite
    # (storage/azure_account.py; docs/production-storage.md).
    azure_storage_account_url: str = ""
    azure_storage_client_id: str = ""
    # The time-based immutability policy on the evidence container, in days, as set on the account (0: none). Checked
    # at start against the retention periods (domain.retention.immutability_conflicts; docs/production-storage.md).
    evidence_immutability_days: int = Field(default=0, ge=0)
    # Version-level immutability (recommended over a container policy): each filed case's evidence gets a policy of its
    # own until the earliest date the case could be deleted, extended at closing, and Værn's legal hold as an Azure
    # legal hold (domain.retention.evidence_immutable_until). none | unlocked | locked; Azure only, and the container
    # needs version-level immutability support (docs/production-storage.md).
    evidence_immutability: EvidenceImmutability = EvidenceImmutability.NONE

    evidence_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_EVIDENCE_HOSTS))
    evidence_allow_http: bool = False
    evidence_max_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    evidence_download_timeout_seconds: float = Field(default=120.0, gt=0)

    directory_file: Path | None = None
    # Where the directory comes from: "file" (DIRECTORY_FILE, the local default) or "graph": Microsoft Entra ID through
    # Microsoft Graph, the app's own credential and application permissions (directory/graph.py, manifest/README.md).
    directory_source: Literal["file", "graph"] = "file"
    # Graph and the token authority (another cloud, or local stand-ins in tests; the authority must be https).
    graph_base_url: str = Field(default="https://graph.microsoft.com/v1.0", pattern=r"^https?://\S+$")
    graph_authority_host: str = Field(default="https://login.microsoftonline.com", pattern=r"^https://\S+$")
    # The tenant to read (empty: MICROSOFT_APP_TENANT_ID); the credential: the app's secret (MICROSOFT_APP_PASSWORD),
    # its certificate (GRAPH_CERTIFICATE_PATH, a PEM with the private key) or a managed identity (user-assigned when
    # a client id is set).
    graph_tenant_id: str = ""
    # Another app registration for reading the directory (empty: MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD).
    graph_client_id: str = ""
    graph_client_secret: SecretStr = SecretStr("")
    graph_credential: Literal["secret", "certificate", "managed_identity"] = "secret"
    graph_certificate_path: Path | None = None
    # The user property that names a person's unit: department, an extension attribute (extension_<appid>_unit) or
    # onPremisesExtensionAttributes/extensionAttribute1..15.
    graph_unit_property: str = Field(default="department", pattern=r"^[A-Za-z][A-Za-z0-9_]*(/[A-Za-z][A-Za-z0-9_]*)?$")
    # Entra groups (object ids) whose members are HR's functions: Jura and Arbejdsmiljøkoordinatoren. Værn's own
    # escalations go to the HR_INTAKE_FUNCTION's group.
    graph_hr_jura_group_id: str = ""
    graph_hr_work_environment_coordinator_group_id: str = ""
    # Per unit (the unit property's value) its groups, as JSON: {"Jobcenter Syd": {"deputies": "<group id>",
    # "work_environment_group": "<group id>", "safety_representatives": "<group id>"}}. Without a deputies group a
    # unit's deputy is its leader's own manager.
    graph_unit_groups: dict[str, GraphUnitGroups] = Field(default_factory=dict)
    # Værn's id in the organisation's Teams app catalog (Teams admin center → Manage apps → Værn → App ID). With it,
    # a person who does not have Værn yet is reached by installing it for them through Graph (needs
    # DIRECTORY_SOURCE=graph and the TeamsAppInstallation.ReadWriteSelfForUser.All permission; manifest/README.md).
    # Empty: only people who have Værn (installed by themselves or an app setup policy) can be reached.
    teams_app_catalog_id: str = Field(default="", pattern=CATALOG_ID)
    # The Entra group (object id) whose members are the on-call group (ON_CALL_PHONE).
    graph_on_call_group_id: str = ""
    # How often the directory is read again from Graph, in seconds (the last good read answers meanwhile).
    directory_refresh_seconds: float = Field(default=900.0, gt=0)
    # The HR function (Organisation og Personale) that receives Værn's own escalations when a deadline passed.
    hr_intake_function: HrFunction = HrFunction.WORK_ENVIRONMENT_COORDINATOR
    outbox_interval_seconds: float = Field(default=1.0, gt=0)
    # How long a worker holds a notification it is sending; after a crash another worker sends it after this.
    outbox_lease_seconds: float = Field(default=120.0, gt=0)
    # Retries of a failed proactive message: the longest wait between two attempts (also the cap on a
    # connector's Retry-After), how long throttling, server and network errors are retried before the message
    # is given up (counted from its first failure), how often given-up cards that hand over a case are tried
    # again, and after how many failed calls one round of the outbox worker stops sending.
    outbox_max_delay_seconds: float = Field(default=300.0, gt=0)
    outbox_retry_hours: float = Field(default=48.0, gt=0)
    outbox_dead_letter_retry_minutes: float = Field(default=60.0, gt=0)
    outbox_max_failures_per_round: int = Field(default=16, ge=1)
    # Teams' limits for proactive messages (bot/pacing.py), per running instance.
    pacing_per_conversation: float = Field(default=7.0, gt=0)
    pacing_per_tenant: float = Field(default=50.0, gt=0)

    # Follow-ups (domain/follow_ups.py). Every interval can be set, e.g. FOLLOW_UP__EASY_DEADLINE_DAYS=9,
    # FOLLOW_UP__CHECK_IN_DAYS=[1,3,7,21], FOLLOW_UP__ACK_HR_WORKING_HOURS=24, FOLLOW_UP__FIRST_CARD_MINUTES=15.
    follow_up: FollowUpPolicy = Field(default_factory=FollowUpPolicy)
    working_day_start: time = time(8, 0)
    working_day_end: time = time(16, 0)
    # Units with other working hours (shift workplaces), by unit id, as JSON: {"plejecenter-nord": {"days": ["mon",
    # "tue", "wed", "thu", "fri", "sat", "sun"], "start": "07:00", "end": "23:00", "zone": "Europe/Copenhagen",
    # "danish_holidays": false}}; every field may be left out (default: Monday–Friday 8–16, Danish holidays off).
    working_hours_by_unit: dict[str, WorkingHours] = Field(default_factory=dict)
    # An urgent case nobody acknowledged within FOLLOW_UP__ON_CALL_MINUTES (around the clock) goes to the on-call
    # group (the directory's "on_call", or GRAPH_ON_CALL_GROUP_ID), and the employee is given this phone number
    # (also on an urgent case's receipt). Empty: the on-call group only.
    on_call_phone: str = ""
    # Run the follow-up worker inside the app; false when it runs alone (`python -m bot.scheduler`).
    scheduler_in_app: bool = True
    scheduler_interval_seconds: float = Field(default=15.0, gt=0)
    job_lease_seconds: int = Field(default=120, ge=1)
    job_max_attempts: int = Field(default=5, ge=1)
    # Longest a queued job waits in one Azure queue message before it is re-enqueued (the service allows 7 days).
    job_queue_max_delay_seconds: int = Field(default=7 * 24 * 3600, ge=1, le=7 * 24 * 3600)

    # Retention (domain/retention.py): a closed case is deleted RETENTION__CLOSED_CASE_YEARS after it was closed (the
    # municipality's journal plan decides), a draft never sent RETENTION__DRAFT_DAYS after it was kept; never while a
    # legal hold stands. A tombstone without personal data stays.
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    # The data protection officer (databeskyttelsesrådgiver) the privacy notice names; empty: the notice points to the
    # organisation's own contact for its data protection officer.
    data_protection_officer_name: str = ""
    data_protection_officer_email: str = ""
    data_protection_officer_phone: str = ""

    # The Teams app package (`python -m manifest build`); empty values fall back as manifest/README.md says.
    teams_app_id: str = ""
    teams_app_version: str = ""
    teams_developer_name: str = "Silkeborg Kommune"
    teams_website_url: str = "https://silkeborg.dk"
    teams_privacy_url: str = ""
    teams_terms_url: str = ""
    bot_domain: str = ""
    # The Overblik tab's sign-in (bot/tab_auth.py): Entra ID's OpenID metadata, whose keys sign the tab's SSO tokens.
    tab_openid_metadata_url: str = Field(default=ENTRA_OPENID_METADATA_URL, pattern=r"^https?://\S+$")

    # The organisation running Værn, named in the signed manifest of every case package (storage/package_signing.py)
    # and in the letter to the offender (cards/leader/letter.py).
    organisation_name: str = Field(default=DEFAULT_ORGANISATION, min_length=1)
    # The organisation's Ed25519 key that signs case packages: the PEM itself (e.g. a Key Vault reference) wins over
    # the file; no file configured means DATA_DIR/package-signing-key.pem, made at first start with local storage.
    package_signing_key: SecretStr = SecretStr("")
    package_signing_key_file: Path | None = None

    max_request_bytes: int = Field(default=1024 * 1024, gt=0)
    crisis_line: str = "89 70 12 99"
    case_reference_prefix: str = "VK"
    log_level: str = "INFO"

    @field_validator("directory_file", "package_signing_key_file", "graph_certificate_path", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("evidence_allowed_hosts", "allowed_tenant_ids", "allowed_dev_channels", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _storage_over_https(self) -> Settings:
        if self.storage_backend == "azure":
            problem = endpoint_problem(self.azure_storage_connection_string, self.azure_storage_account_url)
            if problem:
                raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _immutability_needs_azure(self) -> Settings:
        if self.evidence_immutability is not EvidenceImmutability.NONE and self.storage_backend != "azure":
            raise ValueError(
                "EVIDENCE_IMMUTABILITY needs STORAGE_BACKEND=azure: files on a local disk cannot be made immutable"
            )
        return self

    @model_validator(mode="after")
    def _installing_needs_graph(self) -> Settings:
        if self.teams_app_catalog_id and self.directory_source != "graph":
            raise ValueError("TEAMS_APP_CATALOG_ID installs Værn through Microsoft Graph: set DIRECTORY_SOURCE=graph")
        return self

    def working_calendars(self) -> tuple[WorkingCalendar, dict[str, WorkingCalendar]]:
        """The default working calendar and each configured unit's own."""
        default = WorkingCalendar(self.working_day_start, self.working_day_end)
        return default, {unit_id: hours.calendar() for unit_id, hours in self.working_hours_by_unit.items()}

    def storage_choice(self) -> StorageChoice:
        """The storage settings as plain values for storage.backends."""
        return StorageChoice(
            backend=self.storage_backend,
            data_dir=self.data_dir,
            azure_connection_string=self.azure_storage_connection_string,
            azure_container_prefix=self.azure_container_prefix,
            azure_account_url=self.azure_storage_account_url,
            azure_client_id=self.azure_storage_client_id,
            job_lease_seconds=self.job_lease_seconds,
            job_max_attempts=self.job_max_attempts,
            job_queue_max_delay_seconds=self.job_queue_max_delay_seconds,
        )

    def signing_key_source(self) -> SigningKeySource:
        """The case package key's settings as plain values for storage.package_signing."""
        return SigningKeySource(
            organisation=self.organisation_name,
            key_pem=self.package_signing_key.get_secret_value(),
            key_file=self.package_signing_key_file or self.data_dir / DEFAULT_KEY_NAME,
            make_if_missing=self.storage_backend == "local",
        )

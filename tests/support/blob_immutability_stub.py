"""One Azure Blob container with version-level immutability, played on 127.0.0.1 over the real REST protocol, for what
Azurite does not implement (it answers `APINotImplemented` to both calls below).

Speaks: List Blobs (`GET ?restype=container&comp=list&prefix=`), Get Blob Properties (`HEAD`, with
`x-ms-immutability-policy-until-date`, `x-ms-immutability-policy-mode` and `x-ms-legal-hold`), Set Blob Immutability
Policy (`PUT ?comp=immutabilityPolicies`; a Locked policy refuses to be shortened or unlocked, 409), Set Blob Legal
Hold (`PUT ?comp=legalhold`) and Delete Blob (409 while the policy has not expired or a legal hold stands, as Azure).
Shared Key signatures are not checked. Every request is recorded in `calls`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from xml.sax.saxutils import escape

from aiohttp import web

from tests.support.connector_stub import BackgroundServer

ACCOUNT = "devstoreaccount1"
CONTAINER = "vaern-evidence"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass
class StubBlob:
    until: datetime | None = None
    mode: str = ""
    legal_hold: bool = False


@dataclass(frozen=True)
class BlobCall:
    method: str
    blob: str
    comp: str
    headers: dict[str, str] = field(default_factory=dict[str, str])


class ImmutableBlobStub(BackgroundServer):
    thread_name = "blob-immutability-stub"

    def __init__(self) -> None:
        super().__init__()
        self.blobs: dict[str, StubBlob] = {}
        self.calls: list[BlobCall] = []

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.base_url}/{ACCOUNT};"
        )

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", f"/{ACCOUNT}/{CONTAINER}", self._container)
        app.router.add_route("*", f"/{ACCOUNT}/{CONTAINER}/{{name:.+}}", self._blob)
        return app

    async def _container(self, request: web.Request) -> web.StreamResponse:
        if request.method != "GET" or request.query.get("comp") != "list":
            return _error(400, "UnsupportedHttpVerb")
        prefix = request.query.get("prefix", "")
        self.calls.append(BlobCall("GET", "", "list"))
        blobs = "".join(
            f"<Blob><Name>{escape(name)}</Name><Properties><Content-Length>1</Content-Length>"
            "<BlobType>BlockBlob</BlobType></Properties></Blob>"
            for name in sorted(self.blobs)
            if name.startswith(prefix)
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<EnumerationResults ServiceEndpoint="{self.base_url}/{ACCOUNT}/" ContainerName="{CONTAINER}">'
            f"<Prefix>{escape(prefix)}</Prefix><Blobs>{blobs}</Blobs><NextMarker /></EnumerationResults>"
        )
        return web.Response(body=body.encode(), content_type="application/xml", headers=_common())

    async def _blob(self, request: web.Request) -> web.StreamResponse:
        name, comp = request.match_info["name"], request.query.get("comp", "")
        headers = {key.lower(): value for key, value in request.headers.items() if key.lower().startswith("x-ms-")}
        self.calls.append(BlobCall(request.method, name, comp, headers))
        blob = self.blobs.get(name)
        if blob is None:
            return _error(404, "BlobNotFound")
        if request.method == "HEAD":
            return web.Response(headers=_common() | _properties(blob))
        if request.method == "PUT" and comp == "immutabilityPolicies":
            until = parsedate_to_datetime(headers["x-ms-immutability-policy-until-date"])
            mode = headers.get("x-ms-immutability-policy-mode", "Unlocked")
            if blob.mode == "Locked" and blob.until is not None and (until < blob.until or mode != "Locked"):
                return _error(409, "ImmutabilityPolicyCannotBeShortened")  # a locked policy is only ever extended
            blob.until, blob.mode = until, mode
            return web.Response(headers=_common() | _properties(blob))
        if request.method == "PUT" and comp == "legalhold":
            blob.legal_hold = headers["x-ms-legal-hold"].lower() == "true"
            return web.Response(headers=_common() | {"x-ms-legal-hold": str(blob.legal_hold).lower()})
        if request.method == "DELETE":
            if blob.legal_hold or (blob.until is not None and blob.until > datetime.now(UTC)):
                return _error(409, "BlobImmutableDueToPolicy")
            del self.blobs[name]
            return web.Response(status=202, headers=_common())
        return _error(400, "UnsupportedHttpVerb")


def _common() -> dict[str, str]:
    return {"x-ms-request-id": "stub", "x-ms-version": "2025-01-05", "Date": format_datetime(datetime.now(UTC), True)}


def _properties(blob: StubBlob) -> dict[str, str]:
    found = {
        "x-ms-blob-type": "BlockBlob",
        "Last-Modified": format_datetime(datetime(2026, 1, 1, tzinfo=UTC), True),
        "ETag": '"0x1"',
        "x-ms-legal-hold": str(blob.legal_hold).lower(),
    }
    if blob.until is not None:
        found["x-ms-immutability-policy-until-date"] = format_datetime(blob.until, True)
        found["x-ms-immutability-policy-mode"] = blob.mode.lower()
    return found


def _error(status: int, code: str) -> web.Response:
    body = f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{code}</Message></Error>'
    return web.Response(
        status=status, body=body.encode(), content_type="application/xml", headers=_common() | {"x-ms-error-code": code}
    )

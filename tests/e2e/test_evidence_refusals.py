"""Evidence the bot must refuse, each with a kind message, and with nothing stored: too large, wrong type,
empty, from a host it may not fetch from (SSRF: IP forms, internal addresses, redirects inward), insecure URLs;
and evidence storage could not take (a full disk): the file is named as not stored, never said to be safe."""

from __future__ import annotations

import resource
import uuid
from pathlib import Path

import pytest
import requests

from tests.e2e.report_walk import answer_until
from tests.support.bot_process import BotProcess
from tests.support.evidence_files import png_screenshot, windows_executable
from tests.support.file_server import FileServer
from tests.support.stored import cases_reported_by
from tests.support.teams import TeamsUser, texts

OVER_CAP = 50 * 1024 * 1024 + 1
HOST_NOT_ALLOWED = "ikke må hente filer fra"
INSECURE_URL = "kunne ikke hentes sikkert"


def joined(turn: list[dict]) -> str:
    return "\n".join(texts(turn))


def finish_and_cancel(user: TeamsUser) -> str:
    """After refusals the report holds no evidence: cancelling keeps no draft."""
    return joined(user.say("annuller"))


def unique(path: str) -> str:
    return f"/personal/{uuid.uuid4().hex}/{path}"


@pytest.fixture
def at_evidence_step(user: TeamsUser) -> TeamsUser:
    answer_until(user, "evidence")
    return user


def test_file_over_the_size_cap_is_refused_by_its_declared_length(
    bot, at_evidence_step: TeamsUser, file_server: FileServer
) -> None:
    url = file_server.add_generated(unique("video.mp4"), OVER_CAP, declare_length=True)
    seen = joined(at_evidence_step.send_files([("video.mp4", url)]))
    assert "for stor" in seen and "50 MB" in seen
    assert "Anmeldelsen er stoppet. Intet" in finish_and_cancel(at_evidence_step)
    assert cases_reported_by(bot, at_evidence_step.user_id) == []


def test_file_over_the_size_cap_without_length_is_cut_off_and_refused(
    bot, at_evidence_step: TeamsUser, file_server: FileServer
) -> None:
    path = unique("optagelse.mp4")
    header = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    url = file_server.add_generated(path, OVER_CAP, prefix=header, declare_length=False)
    seen = joined(at_evidence_step.send_files([("optagelse.mp4", url)]))
    assert "for stor" in seen
    assert "Anmeldelsen er stoppet. Intet" in finish_and_cancel(at_evidence_step)
    assert cases_reported_by(bot, at_evidence_step.user_id) == []


@pytest.mark.parametrize("data", [windows_executable(), b"Ikke et billede, bare tekst.\n"], ids=["exe", "text"])
def test_wrong_type_by_magic_bytes_is_refused_whatever_the_name(
    bot, at_evidence_step: TeamsUser, file_server: FileServer, data: bytes
) -> None:
    url = file_server.add(unique("skaermbillede.png"), data, "image/png")
    seen = joined(at_evidence_step.send_files([("skaermbillede.png", url)]))
    assert "filtype" in seen
    assert "Anmeldelsen er stoppet. Intet" in finish_and_cancel(at_evidence_step)
    assert cases_reported_by(bot, at_evidence_step.user_id) == []


def test_download_from_a_host_outside_the_allowlist_is_refused(
    bot, at_evidence_step: TeamsUser, file_server: FileServer
) -> None:
    path = unique("bevis.png")
    file_server.add(path, png_screenshot(), "image/png")
    foreign = file_server.url_for(path).replace("127.0.0.1", "localhost")
    seen = joined(at_evidence_step.send_files([("bevis.png", foreign)]))
    assert "ikke må hente filer fra" in seen
    assert file_server.requests_for(path) == []
    assert "Anmeldelsen er stoppet. Intet" in finish_and_cancel(at_evidence_step)


def test_redirect_to_a_foreign_host_is_refused(bot, at_evidence_step: TeamsUser, file_server: FileServer) -> None:
    target = unique("bevis.png")
    file_server.add(target, png_screenshot(), "image/png")
    foreign = file_server.url_for(target).replace("127.0.0.1", "localhost")
    url = file_server.add_redirect(unique("redirect"), foreign)
    seen = joined(at_evidence_step.send_files([("bevis.png", url)]))
    assert "ikke må hente filer fra" in seen
    assert file_server.requests_for(target) == []
    assert "Anmeldelsen er stoppet. Intet" in finish_and_cancel(at_evidence_step)


def test_one_refused_file_does_not_drop_the_good_one_beside_it(
    bot, at_evidence_step: TeamsUser, file_server: FileServer
) -> None:
    good = file_server.add(unique("ok.png"), png_screenshot(), "image/png")
    bad = file_server.add(unique("virus.png"), windows_executable(), "image/png")
    seen = joined(at_evidence_step.send_files([("virus.png", bad), ("ok.png", good)]))
    assert "filtype" in seen and "Gemt: **ok.png**" in seen
    assert "Det bevis, du sendte" in finish_and_cancel(at_evidence_step)


def test_missing_file_gives_a_try_again_message(bot, at_evidence_step: TeamsUser, file_server: FileServer) -> None:
    seen = joined(at_evidence_step.send_files([("væk.png", file_server.url_for(unique("missing.png")))]))
    assert "kunne ikke hente" in seen and "Prøv at sende den igen" in seen


def test_empty_file_is_refused(bot, at_evidence_step: TeamsUser, file_server: FileServer) -> None:
    url = file_server.add(unique("tom.png"), b"", "image/png")
    seen = joined(at_evidence_step.send_files([("tom.png", url)]))
    assert "**tom.png** er tom og blev ikke gemt" in seen
    assert "Anmeldelsen er stoppet. Intet" in finish_and_cancel(at_evidence_step)
    assert cases_reported_by(bot, at_evidence_step.user_id) == []


def test_internal_and_insecure_urls_are_refused_each_kindly_and_nothing_is_fetched(
    bot, at_evidence_step: TeamsUser, file_server: FileServer
) -> None:
    path = unique("bevis.png")
    file_server.add(path, png_screenshot(), "image/png")
    port = file_server.port
    urls = {
        "decimal.png": (f"http://2130706433:{port}{path}", HOST_NOT_ALLOWED),
        "hex.png": (f"http://0x7f.1:{port}{path}", HOST_NOT_ALLOWED),
        "octal.png": (f"http://0177.0.0.1:{port}{path}", HOST_NOT_ALLOWED),
        "ipv6.png": (f"http://[::1]:{port}{path}", HOST_NOT_ALLOWED),
        "mapped.png": (f"http://[::ffff:127.0.0.1]:{port}{path}", HOST_NOT_ALLOWED),
        "localhost.png": (f"http://localhost:{port}{path}", HOST_NOT_ALLOWED),
        "metadata.png": ("http://169.254.169.254/latest/meta-data/", HOST_NOT_ALLOWED),
        "private.png": ("http://10.0.0.1/bevis.png", HOST_NOT_ALLOWED),
        "file.png": ("file:///etc/passwd", INSECURE_URL),
        "ftp.png": (f"ftp://127.0.0.1:{port}{path}", INSECURE_URL),
        "gopher.png": (f"gopher://127.0.0.1:{port}/_GET%20{path}", INSECURE_URL),
        "credentials.png": (f"http://user:secret@127.0.0.1:{port}{path}", INSECURE_URL),
    }
    replies = texts(at_evidence_step.send_files([(name, url) for name, (url, _) in urls.items()]))
    for name, (_, message) in urls.items():
        assert any(f"**{name}**" in reply and message in reply for reply in replies), (name, replies)
    assert file_server.requests_for(path) == []
    assert "Anmeldelsen er stoppet. Intet" in finish_and_cancel(at_evidence_step)


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", HOST_NOT_ALLOWED),
        ("http://2130706433:{port}{target}", HOST_NOT_ALLOWED),
        ("http://[::1]:{port}{target}", HOST_NOT_ALLOWED),
        ("file:///etc/passwd", INSECURE_URL),
    ],
    ids=["metadata", "decimal-ip", "ipv6-loopback", "file"],
)
def test_redirect_to_an_internal_host_is_refused(
    bot, at_evidence_step: TeamsUser, file_server: FileServer, location: str, message: str
) -> None:
    target = unique("bevis.png")
    file_server.add(target, png_screenshot(), "image/png")
    url = file_server.add_redirect(unique("redirect"), location.format(port=file_server.port, target=target))
    seen = joined(at_evidence_step.send_files([("bevis.png", url)]))
    assert message in seen
    assert file_server.requests_for(target) == []
    assert "Anmeldelsen er stoppet. Intet" in finish_and_cancel(at_evidence_step)


def test_a_file_name_with_path_parts_and_control_characters_is_saved_cleaned(
    bot, at_evidence_step: TeamsUser, file_server: FileServer
) -> None:
    url = file_server.add(unique("bevis.png"), png_screenshot(), "image/png")
    hostile = "../../..\\Windows\\..\\pass\x00wd\u202e" + "x" * 300 + ".png"
    seen = joined(at_evidence_step.send_files([(hostile, url)]))
    saved = "passwd" + "x" * 190 + ".png"
    assert f"Gemt: **{saved}**" in seen
    if bot.backend == "local":  # the name never becomes a path: only random evidence ids are on disk
        assert not [p for p in Path(bot.data_dir).rglob("*") if "passwd" in p.name or "Windows" in p.name]


MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
FILE_SIZE_LIMIT = 1024 * 1024  # RLIMIT_FSIZE: no file of the bot's may grow past it (a full disk, for one file)


def limit_file_sizes(process: BotProcess, limit: int) -> None:
    """Set the running bot's RLIMIT_FSIZE (Python ignores SIGXFSZ: a write past it fails with EFBIG)."""
    assert process.pid is not None
    resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def readiness(process: BotProcess) -> tuple[int, str]:
    response = requests.get(f"{process.url}/readyz", timeout=10)
    return response.status_code, response.json()["status"]


def test_a_full_disk_names_the_file_that_was_not_stored_and_makes_the_bot_not_ready(
    bot_env, connector, file_server: FileServer, tmp_path: Path
) -> None:
    storage = bot_env("local")
    process = BotProcess(storage.env(), workdir=tmp_path).start()
    try:
        user = TeamsUser(process.url, connector)
        answer_until(user, "evidence")
        biggest = max(
            path.stat().st_size for path in [*storage.data_dir.rglob("*"), process.log_path] if path.is_file()
        )
        assert biggest < FILE_SIZE_LIMIT // 2, "the documents and the log must fit under the limit"
        url = file_server.add_generated(unique("optagelse.mp4"), 2 * FILE_SIZE_LIMIT, prefix=MP4_HEADER)
        limit_file_sizes(process, FILE_SIZE_LIMIT)

        seen = joined(user.send_files([("optagelse.mp4", url)]))
        assert "**optagelse.mp4** blev ikke gemt" in seen and "send den igen" in seen, seen
        assert "Gemt:" not in seen and "ikke gået tabt" not in seen and "noget gik galt" not in seen, seen
        assert "gemt 0 beviser" in seen
        evidence_root = storage.data_dir / "evidence"
        assert [path for path in evidence_root.rglob("*") if path.is_file()] == []  # no part of it, not even hidden
        assert readiness(process) == (200, "ready")  # the documents still take writes

        limit_file_sizes(process, 0)  # now nothing can be written at all
        assert readiness(process) == (503, "storage not writable")
        seen = joined(user.submit({"q": "evidence", "answer": "text", "pasted_text": "SMS: du er inkompetent"}))
        assert "**tekst** blev ikke gemt" in seen and "✅" not in seen and "ikke gået tabt" not in seen, seen

        limit_file_sizes(process, resource.RLIM_INFINITY)
        assert readiness(process) == (200, "ready")
        seen = joined(user.send_files([("optagelse.mp4", url)]))
        assert "Gemt: **optagelse.mp4**" in seen and "gemt 1 bevis." in seen, seen
    finally:
        process.stop()

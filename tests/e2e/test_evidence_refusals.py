"""Evidence the bot must refuse, each with a kind message, and with nothing stored."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.report_walk import answer_until
from tests.support.evidence_files import png_screenshot, windows_executable
from tests.support.file_server import FileServer
from tests.support.stored import cases_reported_by
from tests.support.teams import TeamsUser, texts

OVER_CAP = 50 * 1024 * 1024 + 1


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


def test_wrong_type_by_magic_bytes_is_refused_whatever_the_name(
    bot, at_evidence_step: TeamsUser, file_server: FileServer
) -> None:
    url = file_server.add(unique("skaermbillede.png"), windows_executable(), "image/png")
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
    assert "1 beviser" in finish_and_cancel(at_evidence_step)


def test_missing_file_gives_a_try_again_message(bot, at_evidence_step: TeamsUser, file_server: FileServer) -> None:
    seen = joined(at_evidence_step.send_files([("væk.png", file_server.url_for(unique("missing.png")))]))
    assert "kunne ikke hente" in seen and "Prøv at sende den igen" in seen

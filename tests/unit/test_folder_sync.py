"""Group-committed folder fsyncs: every caller returns only after an fsync that began after its call, callers
share fsyncs under contention, a failed fsync is raised and never counts, and idle folders are forgotten."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from storage.folder_sync import FolderSync, fsync_folder


class RecordingFsync:
    """A slow fake fsync that records when each one began and ended."""

    def __init__(self, seconds: float = 0.005, fail_first: int = 0) -> None:
        self.seconds = seconds
        self.fail_first = fail_first
        self.runs: list[tuple[str, float, float, bool]] = []  # (folder, began, ended, succeeded)
        self._lock = threading.Lock()

    def __call__(self, folder: str) -> None:
        began = time.monotonic()
        time.sleep(self.seconds)
        with self._lock:
            failing = self.fail_first > 0
            self.fail_first -= 1 if failing else 0
            self.runs.append((folder, began, time.monotonic(), not failing))
        if failing:
            raise OSError("disk said no")


def _call(sync: FolderSync, folder: str) -> tuple[float, float]:
    called = time.monotonic()
    sync.sync(folder)
    return called, time.monotonic()


def _covered(fsync: RecordingFsync, folder: str, called: float, returned: float) -> bool:
    return any(f == folder and ok and called <= began and ended <= returned for f, began, ended, ok in fsync.runs)


def test_every_caller_waits_for_an_fsync_that_began_after_its_call_and_callers_share_them() -> None:
    fsync = RecordingFsync()
    sync = FolderSync(fsync)
    with ThreadPoolExecutor(16) as pool:
        calls = list(pool.map(lambda _: _call(sync, "/data/state"), range(64)))

    assert all(_covered(fsync, "/data/state", called, returned) for called, returned in calls)
    assert sync.fsyncs == len(fsync.runs) < 64, "concurrent callers share fsyncs"
    assert sync._folders == {}, "idle folders are forgotten"


def test_folders_are_synced_separately() -> None:
    fsync = RecordingFsync()
    sync = FolderSync(fsync)
    with ThreadPoolExecutor(8) as pool:
        calls = list(pool.map(lambda n: (n % 2, _call(sync, f"/data/{n % 2}")), range(32)))

    assert all(_covered(fsync, f"/data/{folder}", called, returned) for folder, (called, returned) in calls)
    assert {folder for folder, *_ in fsync.runs} == {"/data/0", "/data/1"}


def test_a_failed_fsync_is_raised_to_its_thread_and_the_others_get_their_own() -> None:
    fsync = RecordingFsync(fail_first=1)
    sync = FolderSync(fsync)
    failures: list[BaseException] = []

    def call() -> tuple[float, float] | None:
        try:
            return _call(sync, "/data/cases")
        except OSError as error:
            failures.append(error)
            return None

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: call(), range(8)))

    assert len(failures) == 1
    assert all(_covered(fsync, "/data/cases", *result) for result in results if result is not None)
    assert sync.fsyncs == len([run for run in fsync.runs if run[3]])
    assert sync._folders == {}


def test_the_real_fsync_syncs_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"{}")
    sync = FolderSync()
    sync.sync(str(tmp_path))
    assert sync.fsyncs == 1
    with pytest.raises(FileNotFoundError):
        fsync_folder(str(tmp_path / "missing"))

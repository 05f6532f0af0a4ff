"""The bot's files on disk hold people's reports and evidence: only the user the bot runs as may read them.

Rules kept here, for every file and folder the bot makes under DATA_DIR (documents.sqlite3 with its -wal and
-shm, evidence and its metadata, packages and plan PDFs waiting for delivery, the package signing key):
  * folders are made 0700 and files 0600, whatever the umask;
  * the process umask is 0o077 (`restrict_umask`, called at start in every process and gunicorn worker), so what
    SQLite or a library creates on its own is private too;
  * a data folder that others may read, write or enter refuses start-up (`check_data_folder`), with the
    command that fixes it; a missing one is created 0700.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import stat
from pathlib import Path
from typing import BinaryIO

FOLDER_MODE = 0o700
FILE_MODE = 0o600
PRIVATE_UMASK = 0o077
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


class DataFolderExposed(Exception):
    """The data folder can be read, written or entered by users other than the bot's own."""


def restrict_umask() -> None:
    """Files and folders this process creates from now on are its user's alone (umask 0o077)."""
    os.umask(PRIVATE_UMASK)


def make_private_folder(folder: Path) -> None:
    """`folder` (and missing parents) created 0700; an existing folder is left as it is."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    # mkdir's mode is masked by the umask, never widened: a folder made now is at most 0700.


def create_private(path: Path | str, flags: int = os.O_WRONLY) -> int:
    """A new file opened with `flags`, created 0600 (O_CREAT | O_EXCL: never an existing file); its descriptor."""
    return os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)


def open_private(path: Path | str) -> BinaryIO:
    """A new file for writing in binary, created 0600 (fails if it exists)."""
    return os.fdopen(create_private(path), "wb")


def touch_private(path: Path | str) -> None:
    """`path` exists, created empty 0600 if it did not (an existing file keeps its bytes and mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(create_private(path))


def write_private(path: Path, data: bytes) -> None:
    """`data` as the whole of `path` (its folder made 0700), the file 0600 whether new or replaced."""
    make_private_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)  # a file made earlier under another umask
        handle.write(data)


def check_data_folder(folder: Path) -> None:
    """Create the data folder 0700 if missing; raise DataFolderExposed if others have any access to it."""
    make_private_folder(folder)
    mode = folder.stat().st_mode
    if mode & _OTHERS:
        fix = f"chmod 700 {shlex.quote(str(folder))}"
        raise DataFolderExposed(
            f"the data folder {folder} is open to other users (mode {stat.S_IMODE(mode):04o}): it holds reports "
            f"and evidence, so only the user the bot runs as may read it. Fix it with: {fix}"
        )

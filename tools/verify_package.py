"""Verify a Værn case package: `python -m tools.verify_package Sagspakke-VK-2026-0001.zip [more.zip ...]`.

Checks, and reports every problem it finds (not just the first):
  * the ZIP can be read and no name occurs twice;
  * manifest.json and SHA256SUMS are there and well-formed;
  * every file listed in manifest.json is in the ZIP with the listed size and SHA-256;
  * SHA256SUMS lists exactly the manifest's files with the same hashes, plus manifest.json with its real hash;
  * the ZIP holds no file that is not listed.

Prints "OK <n> files" and exits 0, or prints each problem and exits 1 (2 for usage errors).

Standard library only, on purpose: whoever receives a package (ESDH archivist, police, auditor) can run this one
file with any Python 3.11+ without installing Værn. Without Python, `sha256sum -c SHA256SUMS` in the unzipped folder
checks the same hashes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_NAME = "manifest.json"
SHA256SUMS_NAME = "SHA256SUMS"
CHUNK = 1024 * 1024
_SUMS_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Verification:
    package: Path
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _hash_member(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    """SHA-256 and size of a member's bytes; zipfile also checks its CRC-32 at the end (BadZipFile if wrong)."""
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _parse_sums(text: str, problems: list[str]) -> dict[str, str]:
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _SUMS_LINE.match(line)
        if match is None:
            problems.append(f"{SHA256SUMS_NAME} line {number}: not '<sha256>  <path>'")
            continue
        sha256, path = match.groups()
        if path in sums:
            problems.append(f"{SHA256SUMS_NAME}: {path} is listed twice")
        sums[path] = sha256
    return sums


def _read_manifest(archive: zipfile.ZipFile, problems: list[str]) -> list[dict] | None:
    try:
        manifest = json.loads(archive.read(MANIFEST_NAME).decode("utf-8"))
    except KeyError:
        problems.append(f"{MANIFEST_NAME} is missing")
        return None
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as error:
        problems.append(f"{MANIFEST_NAME} cannot be read: {error}")
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not all(isinstance(entry, dict) for entry in files):
        problems.append(f"{MANIFEST_NAME} has no list of files")
        return None
    return files


def _check_entry(archive: zipfile.ZipFile, entry: dict, names: set[str], problems: list[str]) -> str | None:
    """Check one manifest entry against the bytes in the ZIP; returns its path when the entry is usable."""
    path, sha256, size = entry.get("path"), entry.get("sha256"), entry.get("size")
    if not isinstance(path, str) or not path:
        problems.append(f"{MANIFEST_NAME}: an entry has no path")
        return None
    if not isinstance(sha256, str) or not _SHA256.match(sha256) or not isinstance(size, int):
        problems.append(f"{path}: the manifest entry has no valid sha256 and size")
        return path
    if path not in names:
        problems.append(f"{path}: listed in {MANIFEST_NAME} but missing from the package")
        return path
    try:
        actual_sha256, actual_size = _hash_member(archive, path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:  # a changed byte in the ZIP fails its CRC-32
        problems.append(f"{path}: content is damaged or was changed ({error})")
        return path
    if actual_size != size:
        problems.append(f"{path}: size is {actual_size} bytes, the manifest says {size}")
    if actual_sha256 != sha256:
        problems.append(f"{path}: SHA-256 is {actual_sha256}, the manifest says {sha256}")
    return path


def verify_package(package: Path) -> Verification:
    result = Verification(package)
    problems = result.problems
    try:
        archive = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as error:
        problems.append(f"{package}: not a readable ZIP file ({error})")
        return result
    with archive:
        counted = Counter(info.filename for info in archive.infolist())
        problems += [f"{name}: occurs {count} times in the package" for name, count in counted.items() if count > 1]
        names = set(counted)
        entries = _read_manifest(archive, problems)
        try:
            sums_text = archive.read(SHA256SUMS_NAME).decode("utf-8")
        except KeyError:
            problems.append(f"{SHA256SUMS_NAME} is missing")
            sums_text = None
        except (UnicodeDecodeError, zipfile.BadZipFile) as error:
            problems.append(f"{SHA256SUMS_NAME} cannot be read: {error}")
            sums_text = None
        if entries is None:
            return result
        listed: dict[str, str] = {}
        for entry in entries:
            path = _check_entry(archive, entry, names, problems)
            if path is None:
                continue
            if path in listed:
                problems.append(f"{path}: listed twice in {MANIFEST_NAME}")
            listed[path] = str(entry.get("sha256"))
        result.files = len(listed)
        for name in sorted(names - set(listed) - {MANIFEST_NAME, SHA256SUMS_NAME}):
            problems.append(f"{name}: in the package but not listed in {MANIFEST_NAME}")
        if sums_text is not None:
            _compare_sums(archive, _parse_sums(sums_text, problems), listed, problems)
    return result


def _compare_sums(archive: zipfile.ZipFile, sums: dict[str, str], listed: dict[str, str], problems: list[str]) -> None:
    for path, sha256 in listed.items():
        if path not in sums:
            problems.append(f"{path}: missing from {SHA256SUMS_NAME}")
        elif sums[path] != sha256:
            problems.append(f"{path}: {SHA256SUMS_NAME} and {MANIFEST_NAME} disagree on its SHA-256")
    for path in sorted(set(sums) - set(listed) - {MANIFEST_NAME}):
        problems.append(f"{path}: in {SHA256SUMS_NAME} but not in {MANIFEST_NAME}")
    if MANIFEST_NAME not in sums:
        problems.append(f"{MANIFEST_NAME}: its own SHA-256 is missing from {SHA256SUMS_NAME}")
        return
    try:
        actual, _ = _hash_member(archive, MANIFEST_NAME)
    except (zipfile.BadZipFile, OSError, EOFError, KeyError):
        return  # already reported as unreadable
    if actual != sums[MANIFEST_NAME]:
        problems.append(f"{MANIFEST_NAME}: SHA-256 is {actual}, {SHA256SUMS_NAME} says {sums[MANIFEST_NAME]}")


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if not arguments or any(argument in ("-h", "--help") for argument in arguments):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    failed = False
    for argument in arguments:
        result = verify_package(Path(argument))
        if result.ok:
            print(f"OK {result.files} files ({argument})")
            continue
        failed = True
        print(f"FAILED {argument}: {len(result.problems)} problem(s)")
        for problem in result.problems:
            print(f"  {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

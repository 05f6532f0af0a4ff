"""Summarise a py-spy collapsed-stack profile (`py-spy record --format raw`, as `load.py --py-spy` writes).

    python benchmarks/top_frames.py /tmp/prof/vaern-50.txt [--top 25] [--match msrest]

Prints the functions with the most samples inclusive (anywhere on the stack, counted once per sample) and
self (the leaf frame), as a share of all samples of the process (every thread, idle frames excluded).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# "function (path/to/file.py:123)" -> "function (file.py)"; the line number would split one function in many.
_FRAME = re.compile(r"^(?P<name>.*?) \((?P<path>[^()]*?)(?::\d+)?\)$")


def _frame(raw: str) -> str:
    match = _FRAME.match(raw.strip())
    if not match:
        return raw.strip()
    path = match.group("path")
    short = "/".join(path.split("site-packages/")[-1].split("/")[-3:])
    return f"{match.group('name')} ({short})"


def summarise(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    total, inclusive, own = 0, Counter[str](), Counter[str]()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(frame) for frame in stack.split(";") if frame and not frame.startswith("process ")]
        frames = [frame for frame in frames if not frame.startswith("thread ")]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    return total, inclusive, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="only frames containing this text")
    args = parser.parse_args()
    total, inclusive, own = summarise(args.profile)
    print(f"{args.profile}: {total} samples")
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"\n{title}:")
        shown = [(frame, count) for frame, count in counter.most_common() if args.match in frame][: args.top]
        for frame, count in shown:
            print(f"  {count / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()

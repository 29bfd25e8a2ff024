"""Summarise a py-spy raw (collapsed) profile: time per process/thread and the heaviest frames.

    py-spy record --subprocesses --threads --idle --format raw -o prof.raw -- <command>
    .venv/bin/python bench/profile_summary.py prof.raw [--rate 50] [--thread MainThread] [--match flows/]
"""

from __future__ import annotations

import argparse
import collections
import re


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw")
    parser.add_argument("--rate", type=float, default=50.0, help="py-spy sampling rate (samples/s)")
    parser.add_argument("--thread", default=None, help="only stacks of threads whose name contains this")
    parser.add_argument("--process", default=None, help="only stacks of processes whose command contains this")
    parser.add_argument("--match", default="(flows|nlp)/", help="regex: frames counted inclusively")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    by_owner: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    total = 0
    pattern = re.compile(args.match)
    with open(args.raw, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            n = int(count)
            frames = stack.split(";")
            owners = [fr for fr in frames if fr.startswith(("process ", "thread "))]
            calls = [fr for fr in frames if not fr.startswith(("process ", "thread "))]
            proc = next((o for o in reversed(owners) if o.startswith("process ")), "?")
            thread = next((o for o in owners if o.startswith("thread ")), "?")
            if args.process and args.process not in proc:
                continue
            if args.thread and args.thread not in thread:
                continue
            total += n
            by_owner[f"{proc[:90]} | {thread}"] += n
            for fr in set(calls):
                if pattern.search(fr):
                    inclusive[fr] += n
            if calls:
                leaf[calls[-1]] += n
    s = lambda n: f"{n / args.rate:8.1f}s"  # noqa: E731
    print(f"total samples {total} ({s(total)} thread-time)")
    print("\n# by process | thread")
    for k, n in by_owner.most_common(args.top):
        print(s(n), k)
    print(f"\n# inclusive, frames matching {args.match!r}")
    for k, n in inclusive.most_common(args.top):
        print(s(n), k)
    print("\n# self (leaf frames)")
    for k, n in leaf.most_common(args.top):
        print(s(n), k)


if __name__ == "__main__":
    main()

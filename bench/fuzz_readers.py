"""Fuzz the file readers: any bytes, under any supported extension, must give pages or a Rejected.

    .venv/bin/python bench/fuzz_readers.py --seconds 300            # atheris when installed, else hypothesis
    .venv/bin/python bench/fuzz_readers.py --engine hypothesis --seconds 60

A finding is an input for which `read_document` raises anything but Rejected (in a run that
document would be rejected as `reader_error`), returns pages that are not clean normalised
text, or takes longer than --slow seconds. Findings are not raised: each new kind (exception
type and place, or "slow", or "bad output") is saved once under
bench/corpora/fuzz_readers/findings/ with a line in findings.jsonl, and the run goes on.
The summary at the end lists them with the run time and the number of inputs tried.

Seeds: the sample corpus and the hostile corpus of the tests (tests/hostile_corpus.py),
each prefixed with the byte that selects its format. Not part of the test suite: run it on
demand (see bench/README.md, "Fuzzing").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.sources.readers import READERS, Extracted, read_document  # noqa: E402
from flows.sources.rejection import Rejected  # noqa: E402

SUFFIXES = sorted(READERS)  # the first input byte picks one
WORK = ROOT / "bench" / "corpora" / "fuzz_readers"
MAX_LEN = 64 * 1024
_UNCLEAN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200d\ufeff\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class Harness:
    """Runs one input; records findings (deduplicated by kind) instead of raising."""

    def __init__(self, work: Path, slow_seconds: float) -> None:
        self.findings_dir = work / "findings"
        self.findings_dir.mkdir(parents=True, exist_ok=True)
        self.log = work / "findings.jsonl"
        self.slow_seconds = slow_seconds
        self.seen = {json.loads(line)["kind"] for line in self.log.read_text().splitlines()} if self.log.exists() else set()
        self.scratch = Path(tempfile.mkdtemp(prefix="fuzz-readers-"))
        self.inputs = 0
        self.outcomes: dict[str, int] = {}

    def one(self, data: bytes) -> None:
        self.inputs += 1
        suffix = SUFFIXES[data[0] % len(SUFFIXES)] if data else ".txt"
        path = self.scratch / f"input{suffix}"
        path.write_bytes(data[1:])
        started = time.monotonic()
        try:
            extracted = read_document(path)
        except Rejected as rejection:
            self._count(f"rejected:{rejection.code}")
            return
        except Exception as exc:  # noqa: BLE001 - that is the point
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            self._finding(f"{type(exc).__name__} at {where}", data, suffix, f"{type(exc).__name__}: {exc}"[:500])
            return
        finally:
            elapsed = time.monotonic() - started
            if elapsed > self.slow_seconds:
                self._finding(f"slow{suffix}", data, suffix, f"{elapsed:.1f} s for {len(data)} bytes")
        self._count("pages")
        problem = _output_problem(extracted)
        if problem:
            self._finding(f"bad output{suffix}: {problem}", data, suffix, problem)

    def _count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def _finding(self, kind: str, data: bytes, suffix: str, detail: str) -> None:
        self._count("finding")
        if kind in self.seen:
            return
        self.seen.add(kind)
        name = f"{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
        (self.findings_dir / name).write_bytes(data[1:])
        with self.log.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"kind": kind, "file": name, "detail": detail, "time": time.strftime("%Y-%m-%d %H:%M:%S")},
                               ensure_ascii=False) + "\n")
        print(f"FINDING {kind}: {detail} -> findings/{name}", file=sys.stderr, flush=True)


def _output_problem(extracted: Extracted) -> str | None:
    if not isinstance(extracted.pages, list) or not extracted.pages:
        return "no page list"
    for page in extracted.pages:
        if not isinstance(page, str):
            return "page is not text"
        if _UNCLEAN.search(page):
            return "control, invisible or surrogate character left in the text"
        if page != page.strip() or "\n\n\n" in page:
            return "text not normalised"
    if not any(extracted.pages):
        return "only empty pages"
    if extracted.title is not None and not isinstance(extracted.title, str):
        return "title is not text"
    return None


def write_seeds(target: Path) -> int:
    """Seed inputs: the sample corpus and the tests' hostile corpus, each with its format byte."""
    target.mkdir(parents=True, exist_ok=True)
    sources: list[Path] = [p for p in sorted((ROOT / "corpora" / "sample").rglob("*")) if p.is_file()]
    hostile = Path(tempfile.mkdtemp(prefix="fuzz-seeds-")) / "corpus"
    hostile.mkdir()
    sys.path.insert(0, str(ROOT / "tests"))
    import hostile_corpus  # noqa: PLC0415 - a test helper, only needed here

    hostile_corpus.build(hostile, large_mb=1)
    hostile_corpus.restore_permissions(hostile)
    sources += [p for p in sorted(hostile.rglob("*")) if p.is_file() and not p.is_symlink()]
    count = 0
    for path in sources:
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            continue
        try:
            data = path.read_bytes()[: MAX_LEN - 1]
        except OSError:
            continue
        seed = bytes([SUFFIXES.index(suffix)]) + data
        (target / hashlib.sha256(seed).hexdigest()[:16]).write_bytes(seed)
        count += 1
    return count


def run_hypothesis(harness: Harness, seeds: list[bytes], seconds: float) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    def mutate(seed: bytes) -> st.SearchStrategy[bytes]:
        edit = st.tuples(st.integers(0, max(len(seed) - 1, 0)), st.integers(0, 64), st.binary(max_size=64))
        return st.lists(edit, max_size=8).map(lambda edits: _apply(seed, edits))

    inputs = st.one_of(
        st.binary(max_size=4096).map(lambda b: b),
        st.tuples(st.integers(0, len(SUFFIXES) - 1), st.binary(max_size=4096)).map(lambda t: bytes([t[0]]) + t[1]),
        st.sampled_from(seeds).flatmap(mutate),
    )

    deadline = time.monotonic() + seconds

    @settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(inputs)
    def fuzz(data: bytes) -> None:
        if time.monotonic() < deadline:
            harness.one(data)

    while time.monotonic() < deadline:
        fuzz()


def _apply(seed: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    data = bytearray(seed)
    for position, cut, insert in edits:
        data[position + 1:position + 1 + cut] = insert  # keep the format byte
    return bytes(data[:MAX_LEN])


def run_atheris(harness: Harness, seed_dir: Path, seconds: float) -> None:
    import atheris

    with atheris.instrument_imports():
        import bs4  # noqa: F401
        import docx  # noqa: F401
        import odf.opendocument  # noqa: F401
        import pypdf  # noqa: F401

        import flows.sources.readers  # noqa: F401
        import flows.sources.text  # noqa: F401
    corpus = WORK / "atheris_corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    argv = [sys.argv[0], str(corpus), str(seed_dir), f"-max_total_time={int(seconds)}", f"-max_len={MAX_LEN}",
            "-timeout=120", "-rss_limit_mb=4096", "-print_final_stats=1"]
    atheris.Setup(argv, harness.one)
    atheris.Fuzz()  # exits the process when the time is up


def summary(harness: Harness | None, started: float, engine: str) -> None:
    findings = [json.loads(line) for line in (WORK / "findings.jsonl").read_text().splitlines()] \
        if (WORK / "findings.jsonl").exists() else []
    print(f"\nengine: {engine}; run time: {time.monotonic() - started:.0f} s", end="")
    if harness is not None:
        print(f"; inputs: {harness.inputs}; outcomes: {dict(sorted(harness.outcomes.items()))}", end="")
    print(f"; max RSS: {resource.getrusage(resource.RUSAGE_CHILDREN if harness is None else resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"findings (all runs, {WORK / 'findings.jsonl'}): {len(findings)}")
    for finding in findings:
        print(f"  [{finding['time']}] {finding['kind']}: {finding['detail']} (findings/{finding['file']})")


def main() -> None:
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # it complains about every broken file
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300, help="how long to fuzz (default 300)")
    parser.add_argument("--engine", choices=["auto", "atheris", "hypothesis"], default="auto")
    parser.add_argument("--slow", type=float, default=5.0, help="an input taking longer than this is a finding")
    parser.add_argument("--atheris-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401
            engine = "atheris"
        except ImportError:
            engine = "hypothesis"
    seed_dir = WORK / "seeds"
    if args.atheris_child:  # libFuzzer ends the process itself, so the parent prints the summary
        run_atheris(Harness(WORK, args.slow), seed_dir, args.seconds)
        return
    started = time.monotonic()
    print(f"seeds: {write_seeds(seed_dir)} files in {seed_dir}", flush=True)
    if engine == "atheris":
        subprocess.run([sys.executable, __file__, "--atheris-child", "--seconds", str(args.seconds),
                        "--slow", str(args.slow)], check=False)
        summary(None, started, engine)
        return
    harness = Harness(WORK, args.slow)
    run_hypothesis(harness, [p.read_bytes() for p in sorted(seed_dir.iterdir())], args.seconds)
    summary(harness, started, engine)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()

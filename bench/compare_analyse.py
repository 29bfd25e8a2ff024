"""Compare the analyse step of two checkouts of regiescan on the same texts.

This machine's speed drifts by tens of percent from one minute to the next, so one
measurement per version says little. Each round runs every checkout in its own process, one
after another, and each process times bare spaCy and the analyse step `--repeats` times;
the summary gives the median and the minimum per checkout over all rounds.

    .venv/bin/python bench/compare_analyse.py /path/to/old-checkout . --docs 300 --rounds 3

(`git worktree add /tmp/old <commit>` makes an old checkout.) Both run with this
environment's packages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DEFAULT_CORPUS = BENCH / "corpora" / "1000"

# Run inside the checkout: its own bench/run_bench.py puts that checkout first on sys.path.
_MEASURE = """
import gc, json, sys, time
sys.path.insert(0, sys.argv[1] + "/bench")
import run_bench
from pathlib import Path
from flows.analysis import analyse_documents
import nlp.analyser
documents = run_bench.read_texts(Path(sys.argv[2]), int(sys.argv[3]))
texts = [d["text"] for d in documents]
batch = [{"doc_id": d["doc_id"], "cache_key": "compare", "pages": d["pages"]} for d in documents]
bare = run_bench.bare_pipeline(True)
analyser = getattr(nlp.analyser, "long_lived_analyser", nlp.analyser.Analyser)()  # as the checkout's flow builds it
analyse_documents(analyser, batch[:20]); list(bare.pipe(texts[:20]))  # warm up both
tokens = sum(len(doc) for doc in bare.pipe(texts))
rows = []
for _ in range(int(sys.argv[4])):
    gc.collect(); started = time.process_time(); list(bare.pipe(texts, batch_size=64)); b = time.process_time() - started
    gc.collect(); started = time.process_time(); analyse_documents(analyser, batch); a = time.process_time() - started
    rows.append({"bare_s": round(b, 3), "analyse_s": round(a, 3)})
import flows.analysis
print(json.dumps({"code": flows.analysis.__file__, "tokens": tokens, "rows": rows}))
"""


def measure(checkout: Path, corpus: Path, docs: int, repeats: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(checkout), str(corpus), str(docs), str(repeats)],
        cwd=checkout, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"measuring {checkout} failed:\n{result.stderr[-3000:]}")
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    if not Path(measured["code"]).resolve().is_relative_to(checkout):
        raise SystemExit(f"{checkout}: imported regiescan from {measured['code']}, not from the checkout")
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", type=Path, nargs="+", help="regiescan checkouts to compare")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="a bench corpus (make bench generates them)")
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="measurements per process")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"no corpus at {args.corpus}: run `make bench BENCH_ARGS=--quick` or bench/generate_corpus.py first")
    checkouts = [c.resolve() for c in args.checkouts]
    rows: dict[Path, list[dict]] = {c: [] for c in checkouts}
    for round_number in range(1, args.rounds + 1):
        for checkout in checkouts:
            measured = measure(checkout, args.corpus, args.docs, args.repeats)
            rows[checkout] += measured["rows"]
            print(f"round {round_number} {checkout}: " + ", ".join(
                f"bare {r['bare_s']:.2f} s / analyse {r['analyse_s']:.2f} s" for r in measured["rows"]), flush=True)
    summary = {}
    for checkout, measured_rows in rows.items():
        analyse = [r["analyse_s"] for r in measured_rows]
        bare = [r["bare_s"] for r in measured_rows]
        summary[str(checkout)] = {
            "analyse_median_s": statistics.median(analyse), "analyse_min_s": min(analyse),
            "bare_median_s": statistics.median(bare), "bare_min_s": min(bare),
            "ratio_of_medians": round(statistics.median(bare) / statistics.median(analyse), 3),
            "measurements": len(measured_rows),
        }
    print(json.dumps({"docs": args.docs, "corpus": str(args.corpus), "summary": summary}, indent=2))


if __name__ == "__main__":
    main()

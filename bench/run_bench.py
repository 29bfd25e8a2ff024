"""regiescan benchmark: every number and ratio of the performance issue in ONE invocation.

    .venv/bin/python bench/run_bench.py                      # sizes 10000,50000 (hours on 2 cores)
    .venv/bin/python bench/run_bench.py --sizes 2000,8000    # what fits in about an hour
    .venv/bin/python bench/run_bench.py --quick              # smoke run: 200,500 documents

What it measures (see bench/README.md for the meaning of each number):
  1. bare spaCy over the texts, in-process: spacy.blank("nl") + sentencizer + lookup
     lemmatizer (the reference), and blank + lookup lemmatizer alone;
  2. regiescan's analyse step over the same texts, in-process: the very function the
     flow's analyse task runs (flows.analysis.analyse_documents, batch by batch), and the
     classify step (flows.analysis.classify_documents) separately; plus a per-component
     breakdown of where the analyse time goes;
  3. the full `regiescan run` (ingest -> report) on each generated corpus, as a subprocess
     with a fresh analysis cache (--config with cache_dir in a fresh folder);
  4. a no-change rerun (same out folder, same cache), and a forced rebuild (`--rebuild`:
     every table and the report again, the NLP from the analysis cache);
  5. peak RSS of the whole process tree (flow process, Prefect's server, Dask workers) of
     each full run, by polling psutil;
  6. the full run with `--task-runner dask --workers 1` vs `--workers 2` on the largest
     corpus (fresh caches);
  and, for the bundled corpus (corpora/sample), full run vs no-change rerun, both as
  processes and as flow runs in one process (bench/flow_runs.py: the flows alone, without
  the per-process start-up of Python and Prefect's temporary server).
All regiescan subprocesses share one fresh PREFECT_HOME, whose database is created by a
warm-up run first, so no measured run pays Prefect's one-time migration.

Results: bench/results/<YYYY-MM-DD>.json (written after every step, so an interrupted run
keeps what it measured) and a table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata as md
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import generate_corpus  # noqa: E402

REGIESCAN = Path(sys.executable).parent / "regiescan"
PY_SPY = Path(sys.executable).parent / "py-spy"
SNAPSHOT_PARTS = ("flows", "nlp", "corpora/reference", "corpora/sample")
CODE_ROOT = ROOT  # the tree that is measured: the checkout, or a snapshot of it (--snapshot)
WARMUP_DOCS = 20

TARGETS = {
    # name: (description, comparison, bound)
    "analyse_vs_bare": ("analyse step throughput / bare spaCy throughput", ">=", 0.5),
    "pipeline_vs_bare_lemmatizer_only": (
        "regiescan's spaCy pipeline (build_pipeline) throughput / blank + lookup lemmatizer alone", ">=", 0.5),
    "flow_vs_analyse": ("full run time / analyse step time (same corpus)", "<=", 1.25),
    "rerun_vs_full": ("no-change rerun time / full run time", "<=", 0.05),
    "rss_large_vs_small": ("peak RSS largest corpus / smallest corpus", "<=", 1.3),
    "workers_speedup": ("time with 1 Dask worker / time with 2 workers (largest corpus)", ">=", 1.6),
    "sample_rerun_vs_full": ("bundled corpus: no-change rerun / full run, flow runs in one process", "<=", 0.10),
}


# ---------------------------------------------------------------------------- helpers

def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("regiescan", "spacy", "spacy-lookups-data", "prefect", "prefect-dask", "dask", "distributed",
                 "scikit-learn", "pandas", "pyarrow", "numpy", "psutil"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """The checked-out commit, read from .git directly."""
    head = ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if not ref.startswith("ref: "):
            return ref
        name = ref[5:]
        loose = ROOT / ".git" / name
        if loose.is_file():
            return loose.read_text().strip()
        for line in (ROOT / ".git" / "packed-refs").read_text().splitlines():
            if line.endswith(" " + name):
                return line.split()[0]
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    import psutil

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(), "cpu": cpu, "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1), "hostname": platform.node(),
    }


class TreeSampler:
    """Peak RSS of a process and all its descendants (summed), polled every `interval` s."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_tree = 0
        self.peak_main = 0
        self.max_processes = 0
        self.cpu_by_pid: dict[int, tuple[str, float]] = {}  # last seen CPU seconds of each process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for proc in procs:
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                try:
                    times = proc.cpu_times()
                    self.cpu_by_pid[proc.pid] = (self._role(proc), times.user + times.system)
                except psutil.Error:
                    pass
                if proc.pid == self.root.pid:
                    self.peak_main = max(self.peak_main, rss)
            self.peak_tree = max(self.peak_tree, total)
            self.max_processes = max(self.max_processes, len(procs))
            self._stop.wait(self.interval)

    def _role(self, proc: Any) -> str:
        known = self.cpu_by_pid.get(proc.pid)
        if known:
            return known[0]
        try:
            cmd = " ".join(proc.cmdline())
        except Exception:
            return "other"
        if proc.pid == self.root.pid:
            return "main"
        if "uvicorn" in cmd and "prefect" in cmd:
            return "prefect_server"
        if "multiprocessing" in cmd or "distributed" in cmd:
            return "dask"
        return "other"

    def cpu_by_role(self) -> dict[str, float]:
        roles: dict[str, float] = {}
        for role, seconds in self.cpu_by_pid.values():
            roles[role] = round(roles.get(role, 0.0) + seconds, 1)
        return roles

    def __enter__(self) -> "TreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def mib(n: float) -> float:
    return round(n / 2**20, 1)


def take_snapshot(work: Path) -> Path:
    """Copy the code, model, lexicon and reference data into work/snapshot and measure that copy:
    on a shared checkout, edits made while a long bench runs then cannot change what is measured."""
    global CODE_ROOT
    target = work / "snapshot"
    if target.exists():
        shutil.rmtree(target)
    for part in SNAPSHOT_PARTS:
        shutil.copytree(ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(target))
    CODE_ROOT = target
    return target


# ---------------------------------------------------------------------------- 1 + 2: in-process

def read_texts(corpus: Path, limit: int) -> list[dict[str, Any]]:
    """The first `limit` documents of a corpus, read as the flow's ingest reads them."""
    from flows.analysis import join_pages
    from flows.sources.folder import FolderSource

    documents = []
    for candidate in FolderSource(corpus).candidates():
        if len(documents) >= limit:
            break
        pages = candidate.load().pages
        documents.append({"doc_id": f"d{len(documents):06d}", "pages": pages, "text": join_pages(pages)[0]})
    return documents


class Clock:
    """Wall time and this process's CPU time of a block, and the load average around it."""

    def __enter__(self) -> "Clock":
        self.load_before = os.getloadavg()[0]
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        self.load_after = os.getloadavg()[0]

    def row(self, tokens: int, **extra: Any) -> dict[str, Any]:
        return {**extra, "seconds": round(self.wall, 2), "tokens_per_s": round(tokens / self.wall),
                "cpu_seconds": round(self.cpu, 2), "tokens_per_cpu_s": round(tokens / self.cpu),
                "loadavg_1min": [round(self.load_before, 2), round(self.load_after, 2)]}


def timed_pipe(nlp: Any, texts: list[str], batch_size: int) -> tuple[Clock, int]:
    gc.collect()
    tokens = 0
    with Clock() as clock:
        for doc in nlp.pipe(texts, batch_size=batch_size):
            tokens += len(doc)
    return clock, tokens


def median_row(clocks: list[Clock], tokens: int, **extra: Any) -> dict[str, Any]:
    """The round with the median wall time, and every round's seconds (wall and CPU)."""
    median = sorted(clocks, key=lambda c: c.wall)[len(clocks) // 2]
    return {**median.row(tokens, **extra), "rounds_seconds": [round(c.wall, 2) for c in clocks],
            "rounds_cpu_seconds": [round(c.cpu, 2) for c in clocks]}


def bare_pipeline(with_sentencizer: bool) -> Any:
    import spacy

    nlp = spacy.blank("nl")
    if with_sentencizer:
        nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def measure_in_process(documents: list[dict[str, Any]], batch_size: int, breakdown_docs: int,
                       rounds: int = 3) -> dict[str, Any]:
    """(1) bare spaCy, (2) the analyse step, classify, and a per-component breakdown.

    The throughputs that make up the ratios are measured in `rounds` alternating rounds
    (bare, bare lemmatizer only, regiescan's pipeline, analyse step, then again), and each
    is the round with the median time: this machine's speed drifts by tens of percent
    within minutes, and alternating spreads that drift over all of them."""
    from flows.analysis import analyse_documents, classify_documents
    from nlp.analyser import analyse_doc, long_lived_analyser
    from nlp.language import guess_language
    from nlp.pipeline import NlpConfig

    texts = [d["text"] for d in documents]
    config = NlpConfig()
    out: dict[str, Any] = {"documents": len(texts), "characters": sum(map(len, texts)), "rounds": rounds,
                           "nlp_pipe_batch_size": config.batch_size, "task_batch_size": batch_size}

    log("in-process: building regiescan's Analyser (pipeline + stance model) as a flow worker does")
    started = time.perf_counter()
    analyser = long_lived_analyser(config)
    out["analyser_startup_s"] = round(time.perf_counter() - started, 2)
    out["regiescan_pipeline"] = analyser.nlp.pipe_names
    bare, bare_lemmatizer = bare_pipeline(True), bare_pipeline(False)

    warm = [{"doc_id": d["doc_id"], "cache_key": "warm", "pages": d["pages"]} for d in documents[:WARMUP_DOCS]]
    started = time.perf_counter()
    classify_documents(analyser, analyse_documents(analyser, warm).pending)
    out["first_batch_warmup_s"] = round(time.perf_counter() - started, 2)
    for nlp in (bare, bare_lemmatizer):
        for _ in nlp.pipe(texts[:WARMUP_DOCS], batch_size=config.batch_size):
            pass

    batches = [[{"doc_id": d["doc_id"], "cache_key": "bench", "pages": d["pages"]} for d in documents[i:i + batch_size]]
               for i in range(0, len(documents), batch_size)]
    clocks: dict[str, list[Clock]] = {name: [] for name in ("bare", "lemmatizer", "pipeline", "analyse")}
    tokens = 0
    for number in range(1, rounds + 1):
        log(f"in-process round {number}/{rounds}: bare spaCy, bare lemmatizer only, regiescan's pipeline, "
            f"analyse step over {len(texts)} texts")
        clock, tokens = timed_pipe(bare, texts, config.batch_size)
        clocks["bare"].append(clock)
        clocks["lemmatizer"].append(timed_pipe(bare_lemmatizer, texts, config.batch_size)[0])
        clocks["pipeline"].append(timed_pipe(analyser.nlp, texts, config.batch_size)[0])
        analysed = []
        gc.collect()
        with Clock() as clock:
            for batch in batches:
                analysed.append(analyse_documents(analyser, batch))
        clocks["analyse"].append(clock)
    out["tokens"] = tokens
    out["bare_reference"] = median_row(clocks["bare"], tokens, pipeline="blank(nl) + sentencizer + lemmatizer(lookup)")
    out["bare_lemmatizer_only"] = median_row(clocks["lemmatizer"], tokens, pipeline="blank(nl) + lemmatizer(lookup)")
    out["regiescan_parse_only"] = median_row(clocks["pipeline"], tokens,
                                             what="Analyser.parse (build_pipeline's nlp.pipe)")
    analyse_row = median_row(
        clocks["analyse"], tokens,
        what="flows.analysis.analyse_documents (parse + language check + units/features/mentions)")
    out["analyse_step"] = {**analyse_row, "documents_per_s": round(len(texts) / analyse_row["seconds"], 2),
                           "rejected": sum(len(a.rejected) for a in analysed)}

    log("in-process: classify step (flows.analysis.classify_documents)")
    with Clock() as clock:
        for outcome in analysed:
            classify_documents(analyser, outcome.pending)
    out["classify_step"] = clock.row(tokens, what="flows.analysis.classify_documents (stance model over all units)",
                                     documents_per_s=round(len(texts) / clock.wall, 2))
    del analysed
    gc.collect()

    # Where the analyse time goes: each pipeline component and each post-processing step.
    subset = texts[:breakdown_docs]
    log(f"in-process: per-component breakdown over {len(subset)} texts")
    parts: dict[str, float] = {"tokenizer": 0.0, **{name: 0.0 for name in analyser.nlp.pipe_names},
                               "guess_language": 0.0, "analyse_doc (units, features, mentions)": 0.0}
    sub_tokens = 0
    clock = time.process_time  # CPU time: robust when other processes share the machine
    for text in subset:
        started = clock()
        doc = analyser.nlp.make_doc(text)
        parts["tokenizer"] += clock() - started
        sub_tokens += len(doc)
        for name, component in analyser.nlp.pipeline:
            started = clock()
            doc = component(doc)
            parts[name] += clock() - started
        started = clock()
        guess_language(doc)
        parts["guess_language"] += clock() - started
        started = clock()
        analyse_doc(doc)
        parts["analyse_doc (units, features, mentions)"] += clock() - started
    total = sum(parts.values())
    out["breakdown"] = {
        "documents": len(subset), "tokens": sub_tokens, "cpu_seconds": round(total, 2),
        "parts": {k: {"seconds": round(v, 2), "share": round(v / total, 3)} for k, v in parts.items()},
    }
    return out


# ---------------------------------------------------------------------------- 3-6: subprocess runs

class Runner:
    """`regiescan run` as a subprocess with a shared fresh PREFECT_HOME and peak-RSS polling."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.env = {**os.environ, "PREFECT_HOME": str(work / "prefect_home"),
                    "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        if CODE_ROOT != ROOT:  # run the snapshot's code (Dask workers inherit PYTHONPATH)
            self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE_ROOT), os.environ.get("PYTHONPATH")]))
        for name in ("PREFECT_API_URL", "PREFECT_PROFILE"):
            self.env.pop(name, None)

    def config(self, label: str, **settings: Any) -> Path:
        cache = self.work / f"cache-{label}"
        if cache.exists():
            shutil.rmtree(cache)
        path = self.work / f"config-{label}.yml"
        lines = [f"cache_dir: {json.dumps(str(cache))}"] + [f"{k}: {json.dumps(v)}" for k, v in settings.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def run(self, label: str, corpus: Path, out: Path, config: Path, extra: list[str] = (),
            profile: Path | None = None) -> dict[str, Any]:
        program = [str(REGIESCAN)] if CODE_ROOT == ROOT else [sys.executable, "-m", "flows.cli"]
        command = [*program, "run", "--corpus", str(corpus), "--out", str(out), "--config", str(config), *extra]
        if profile is not None:  # not a measurement: py-spy samples every thread of the tree
            command = [str(PY_SPY), "record", "--subprocesses", "--idle", "--threads", "--rate", "25",
                       "--format", "raw", "-o", str(profile), "--", *command]
        log_path = self.work / f"{label}.log"
        log(f"run {label}: {' '.join(command[1:])}")
        load_before = os.getloadavg()[0]
        usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        before = run_folders(out)
        started = time.perf_counter()
        with open(log_path, "w", encoding="utf-8") as log_file:
            process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=self.env, cwd=CODE_ROOT)
            with TreeSampler(process.pid) as sampler:
                code = process.wait()
        seconds = time.perf_counter() - started
        usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU of the run and every descendant it waited for (Prefect's server, Dask workers)
        cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
        result: dict[str, Any] = {
            "command": "regiescan " + " ".join(command[command.index("run"):]), "exit_code": code, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 1), "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "peak_rss_tree_mib": mib(sampler.peak_tree), "peak_rss_main_mib": mib(sampler.peak_main),
            "max_processes": sampler.max_processes, "log": str(log_path),
            "cpu_seconds_by_role_sampled": sampler.cpu_by_role(),
        }
        if code != 0:
            result["log_tail"] = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            log(f"run {label} FAILED (exit {code}); see {log_path}")
            return result
        (added,) = run_folders(out) - before  # its own record (latest stays put when nothing changed)
        record = json.loads((added / "run.json").read_text(encoding="utf-8"))
        result["counts"] = record["counts"]
        result["analysis_cache"] = record["analysis_cache"]
        result["steps_done"] = record["steps_done"]
        result["steps_seconds"] = record.get("seconds")
        result["outputs_of"] = record.get("outputs_of")
        log(f"run {label}: {seconds:.1f} s (CPU {cpu:.0f} s, load {load_before:.1f}->{os.getloadavg()[0]:.1f}), peak RSS tree {mib(sampler.peak_tree)} MiB, "
            f"analysed now {record['analysis_cache']['documents_analysed_now']}, "
            f"from cache {record['analysis_cache']['documents_from_cache']}")
        return result


    def flow_runs(self, label: str, corpus: Path, out: Path, config: Path, labels: list[str]) -> dict[str, Any]:
        """bench/flow_runs.py: flow runs one after another in one process (no per-run start-up)."""
        command = [sys.executable, str(BENCH / "flow_runs.py"), "--corpus", str(corpus), "--out", str(out),
                   "--config", str(config), *labels]
        log(f"flow runs {label}: {' '.join(labels)}")
        done = subprocess.run(command, env=self.env, cwd=CODE_ROOT, capture_output=True, text=True)
        (self.work / f"{label}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            log(f"flow runs {label} FAILED (exit {done.returncode})")
            return {"exit_code": done.returncode, "log_tail": (done.stdout + done.stderr)[-3000:]}
        timings = json.loads(done.stdout.strip().splitlines()[-1])
        log(f"flow runs {label}: " + ", ".join(f"{k} {v['seconds']:.2f} s" for k, v in timings.items()))
        return {"exit_code": 0, "command": " ".join(command[1:]), "runs": timings}


def run_folders(out: Path) -> set[Path]:
    return {p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")} if out.is_dir() else set()


def full_and_rerun(runner: Runner, label: str, corpus: Path, settings: dict[str, Any] | None = None,
                   extra: list[str] = (), rerun: bool = True, profile: bool = False) -> dict[str, Any]:
    out = runner.work / f"out-{label}"
    if out.exists():
        shutil.rmtree(out)
    config = runner.config(label, **(settings or {}))
    result = {"full": runner.run(f"{label}-full", corpus, out, config, list(extra))}
    if rerun and result["full"]["exit_code"] == 0:
        result["rerun"] = runner.run(f"{label}-rerun", corpus, out, config, list(extra))
        result["rebuild"] = runner.run(f"{label}-rebuild", corpus, out, config, [*extra, "--rebuild"])
        if profile and PY_SPY.is_file():
            raw = runner.work / f"{label}-rerun.pyspy.raw"
            runner.run(f"{label}-rebuild-profiled", corpus, out, config, [*extra, "--rebuild"], profile=raw)
            result["rerun_profile"] = str(raw)
    shutil.rmtree(out, ignore_errors=True)  # run folders of big corpora are large
    shutil.rmtree(runner.work / f"cache-{label}", ignore_errors=True)
    return result


# ---------------------------------------------------------------------------- ratios and report

def check(name: str, value: float | None) -> dict[str, Any]:
    description, op, bound = TARGETS[name]
    met = None if value is None else (value >= bound if op == ">=" else value <= bound)
    return {"what": description, "value": None if value is None else round(value, 3),
            "target": f"{op} {bound}", "met": met}


def ok(run: dict[str, Any] | None) -> bool:
    return bool(run) and run.get("exit_code") == 0


def compute_ratios(results: dict[str, Any]) -> dict[str, Any]:
    ratios: dict[str, Any] = {}
    inproc = results.get("in_process")
    if inproc:
        ratios["analyse_vs_bare"] = check(
            "analyse_vs_bare", inproc["analyse_step"]["tokens_per_s"] / inproc["bare_reference"]["tokens_per_s"])
        ratios["analyse_vs_bare_lemmatizer_only"] = {
            "what": "analyse step throughput / blank + lookup lemmatizer alone (the other issue's wording)",
            "value": round(inproc["analyse_step"]["tokens_per_s"] / inproc["bare_lemmatizer_only"]["tokens_per_s"], 3),
            "target": ">= 0.5",
            "met": inproc["analyse_step"]["tokens_per_s"] / inproc["bare_lemmatizer_only"]["tokens_per_s"] >= 0.5,
        }
        # The frame-detection issue's target: the pipeline alone (no units, features, language check).
        ratios["pipeline_vs_bare_lemmatizer_only"] = check(
            "pipeline_vs_bare_lemmatizer_only",
            inproc["regiescan_parse_only"]["tokens_per_s"] / inproc["bare_lemmatizer_only"]["tokens_per_s"])
    runs = results.get("sizes", {})
    sizes = sorted((int(s) for s in runs if ok(runs[s].get("full"))))
    # CPU-time versions (informational): less sensitive to other load on a shared machine
    if inproc and "tokens_per_cpu_s" in inproc["analyse_step"]:
        ratios["cpu:analyse_vs_bare"] = {**check("analyse_vs_bare", inproc["analyse_step"]["tokens_per_cpu_s"]
                                                 / inproc["bare_reference"]["tokens_per_cpu_s"]), "basis": "CPU time"}
    if inproc and sizes and "tokens_per_cpu_s" in inproc["analyse_step"]:
        size = sizes[-1]
        tokens = results["corpora"][str(size)].get("tokens_estimate")
        if tokens and "cpu_seconds" in runs[str(size)]["full"]:
            ratios["cpu:flow_vs_analyse"] = {**check("flow_vs_analyse", runs[str(size)]["full"]["cpu_seconds"]
                                                     / (tokens / inproc["analyse_step"]["tokens_per_cpu_s"])),
                                             "basis": "CPU time of the run's process tree", "size": size}
        if ok(runs[str(size)].get("rerun")) and "cpu_seconds" in runs[str(size)]["rerun"]:
            ratios["cpu:rerun_vs_full"] = {**check("rerun_vs_full", runs[str(size)]["rerun"]["cpu_seconds"]
                                                   / runs[str(size)]["full"]["cpu_seconds"]), "basis": "CPU time", "size": size}
    if inproc and sizes:
        # the analyse step's time over the whole corpus = corpus tokens / measured analyse throughput
        flows = []
        for size in sizes:
            corpus_tokens = results["corpora"][str(size)].get("tokens_estimate")
            if corpus_tokens:
                analyse_s = corpus_tokens / inproc["analyse_step"]["tokens_per_s"]
                runs[str(size)]["analyse_step_estimate_s"] = round(analyse_s, 1)
                flows.append((size, runs[str(size)]["full"]["seconds"] / analyse_s))
        if flows:
            ratios["flow_vs_analyse"] = check("flow_vs_analyse", flows[-1][1])
            ratios["flow_vs_analyse"]["per_size"] = {str(s): round(r, 3) for s, r in flows}
    reruns = [(s, runs[str(s)]["rerun"]["seconds"] / runs[str(s)]["full"]["seconds"])
              for s in sizes if ok(runs[str(s)].get("rerun"))]
    if reruns:
        ratios["rerun_vs_full"] = check("rerun_vs_full", reruns[-1][1])
        ratios["rerun_vs_full"]["per_size"] = {str(s): round(r, 3) for s, r in reruns}
    if len(sizes) >= 2:
        small, large = runs[str(sizes[0])]["full"], runs[str(sizes[-1])]["full"]
        ratios["rss_large_vs_small"] = check("rss_large_vs_small", large["peak_rss_tree_mib"] / small["peak_rss_tree_mib"])
        ratios["rss_large_vs_small"]["sizes"] = [sizes[0], sizes[-1]]
    workers = results.get("workers")
    if workers and ok(workers.get("1", {}).get("full")) and ok(workers.get("2", {}).get("full")):
        ratios["workers_speedup"] = check(
            "workers_speedup", workers["1"]["full"]["seconds"] / workers["2"]["full"]["seconds"])
        ratios["workers_speedup"]["size"] = workers["size"]
    rebuilds = [(s, runs[str(s)]["rebuild"]["seconds"] / runs[str(s)]["full"]["seconds"])
                for s in sizes if ok(runs[str(s)].get("rebuild"))]
    if rebuilds:
        ratios["info:rebuild_vs_full"] = {"what": "forced rebuild from the analysis cache / full run (processes)",
                                          "value": round(rebuilds[-1][1], 3), "target": "-", "met": None,
                                          "per_size": {str(s): round(r, 3) for s, r in rebuilds}}
    sample = results.get("sample")
    flows_in_process = (results.get("sample_flow_runs") or {}).get("runs")
    if flows_in_process and {"full", "unchanged"} <= set(flows_in_process):
        ratios["sample_rerun_vs_full"] = check(
            "sample_rerun_vs_full", flows_in_process["unchanged"]["seconds"] / flows_in_process["full"]["seconds"])
        if all("prefect_total_run_time" in flows_in_process[k] for k in ("full", "unchanged")):
            ratios["info:sample_rerun_vs_full_prefect_recorded"] = {
                "what": "bundled corpus: no-change rerun / full run, the flow runs' durations as Prefect records them",
                "value": round(flows_in_process["unchanged"]["prefect_total_run_time"]
                               / flows_in_process["full"]["prefect_total_run_time"], 3), "target": "-", "met": None}
        if "rebuild" in flows_in_process:
            ratios["info:sample_rebuild_vs_full"] = {
                "what": "bundled corpus: forced rebuild / full run, flow runs in one process",
                "value": round(flows_in_process["rebuild"]["seconds"] / flows_in_process["full"]["seconds"], 3),
                "target": "-", "met": None}
    if sample and ok(sample.get("full")) and ok(sample.get("rerun")):
        ratios["info:sample_rerun_vs_full_processes"] = {
            "what": "bundled corpus: no-change rerun / full run, each a `regiescan run` process (with start-up)",
            "value": round(sample["rerun"]["seconds"] / sample["full"]["seconds"], 3), "target": "-", "met": None}
    return ratios


def table(results: dict[str, Any]) -> str:
    lines = []
    inproc = results.get("in_process")
    if inproc:
        lines.append(f"In-process, {inproc['documents']} documents, {inproc['tokens']:,} tokens:")
        for key in ("bare_reference", "bare_lemmatizer_only", "regiescan_parse_only", "analyse_step", "classify_step"):
            row = inproc[key]
            lines.append(f"  {key:<22} {row['seconds']:>9.1f} s  {row['tokens_per_s']:>9,} tokens/s"
                         f"   (CPU {row.get('cpu_seconds', float('nan')):.1f} s, {row.get('tokens_per_cpu_s', 0):,} tokens/CPU-s)")
        lines.append("  analyse-time breakdown (share): " + ", ".join(
            f"{k} {v['share']:.0%}" for k, v in inproc["breakdown"]["parts"].items()))
    if results.get("overhead"):
        o = results["overhead"]
        lines.append(f"Fixed cost of one `regiescan run` ({o['documents']} documents): {o['seconds']:.1f} s "
                     f"(first run in a fresh PREFECT_HOME: {results.get('prefect_warmup', {}).get('seconds', float('nan')):.1f} s)")
    runs = results.get("sizes", {})
    if runs:
        lines.append("Full runs (threads runner):")
        lines.append(f"  {'docs':>7} {'full s':>9} {'(CPU s)':>8} {'rerun s':>8} {'(CPU s)':>8} {'rerun/full':>10} "
                     f"{'rebuild s':>9} {'RSS tree MiB':>13} {'RSS main MiB':>13} {'analyse est. s':>15}")
        for size in sorted(runs, key=int):
            r = runs[size]
            full, rerun = r.get("full", {}), r.get("rerun", {})
            ratio = rerun["seconds"] / full["seconds"] if ok(full) and ok(rerun) else float("nan")
            lines.append(f"  {size:>7} {full.get('seconds', float('nan')):>9.1f} {full.get('cpu_seconds', float('nan')):>8.0f} "
                         f"{rerun.get('seconds', float('nan')):>8.1f} {rerun.get('cpu_seconds', float('nan')):>8.0f} "
                         f"{ratio:>10.3f} {r.get('rebuild', {}).get('seconds', float('nan')):>9.1f} "
                         f"{full.get('peak_rss_tree_mib', float('nan')):>13.1f} "
                         f"{full.get('peak_rss_main_mib', float('nan')):>13.1f} "
                         f"{r.get('analyse_step_estimate_s', float('nan')):>15.1f}")
    workers = results.get("workers")
    if workers:
        lines.append(f"Dask on {workers['size']} documents: " + ", ".join(
            f"{n} worker(s) {workers[n]['full'].get('seconds', float('nan')):.1f} s "
            f"(peak RSS {workers[n]['full'].get('peak_rss_tree_mib', float('nan')):.0f} MiB)"
            for n in ("1", "2") if n in workers))
    sample = results.get("sample")
    if sample and sample.get("full"):
        lines.append(f"Bundled corpus, processes: full {sample['full'].get('seconds', float('nan')):.1f} s, "
                     f"no-change rerun {sample.get('rerun', {}).get('seconds', float('nan')):.1f} s, "
                     f"rebuild {sample.get('rebuild', {}).get('seconds', float('nan')):.1f} s")
    in_process = (results.get("sample_flow_runs") or {}).get("runs")
    if in_process:
        lines.append("Bundled corpus, flow runs in one process: " + ", ".join(
            f"{label} {run['seconds']:.2f} s (Prefect's run time {run.get('prefect_total_run_time', float('nan')):.2f} s)"
            for label, run in in_process.items()))
    lines.append("Ratios:")
    for name, r in results.get("ratios", {}).items():
        met = {True: "met", False: "MISSED", None: "n/a"}[r["met"]]
        extra = f" {r['per_size']}" if "per_size" in r else ""
        lines.append(f"  {name:<32} {r['value']!s:>7}  target {r['target']:<7} {met}{extra}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="regiescan benchmark (see bench/README.md)")
    parser.add_argument("--sizes", default="10000,50000", help="corpus sizes in documents (default 10000,50000)")
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 200,500, fewer in-process texts")
    parser.add_argument("--skip-workers", action="store_true", help="no Dask 1-vs-2 workers comparison")
    parser.add_argument("--skip-sample", action="store_true", help="no bundled-corpus full run vs rerun")
    parser.add_argument("--skip-flow", action="store_true", help="in-process measurements only")
    parser.add_argument("--sample-only", action="store_true", help="only the bundled corpus full run vs rerun")
    parser.add_argument("--workers-size", type=int, default=None, help="corpus for the workers comparison (default: largest)")
    parser.add_argument("--inproc-docs", type=int, default=2000, help="documents for the in-process measurements")
    parser.add_argument("--breakdown-docs", type=int, default=300, help="documents for the per-component breakdown")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds of the in-process measurements; each ratio uses the median round")
    parser.add_argument("--profile", action="store_true",
                        help="after the measured runs of the smallest corpus, one more forced rebuild under py-spy "
                             "(kept in --work; needs py-spy in the venv: .venv/bin/pip install py-spy)")
    parser.add_argument("--snapshot", action="store_true",
                        help="measure a copy of flows/, nlp/ and corpora/ taken at the start (for shared checkouts)")
    parser.add_argument("--seed", type=int, default=generate_corpus.DEFAULT_SEED)
    parser.add_argument("--results", type=Path, default=BENCH / "results", help="folder for <date>.json")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a fresh temporary one)")
    args = parser.parse_args(argv)
    if args.profile and not PY_SPY.is_file():
        parser.error(f"--profile needs py-spy at {PY_SPY}: {PY_SPY.parent / 'pip'} install py-spy")
    sizes = [200, 500] if args.quick else sorted(int(s) for s in args.sizes.split(","))
    inproc_docs = min(args.inproc_docs, 200 if args.quick else args.inproc_docs)
    breakdown_docs = min(args.breakdown_docs, 100 if args.quick else args.breakdown_docs)

    work = args.work or Path(tempfile.mkdtemp(prefix="regiescan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.snapshot:
        take_snapshot(work)
    import flows
    from flows.config import RunConfig

    batch_size = RunConfig().batch_size
    args.results.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started_at": now(), "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "quick": args.quick, "machine": machine(), "versions": versions(), "commit": git_commit(),
        "settings": {"sizes": sizes, "seed": args.seed, "task_batch_size": batch_size, "work": str(work),
                     "code_measured": str(CODE_ROOT), "flows_imported_from": str(Path(flows.__file__).parent)},
        "corpora": {}, "sizes": {},
    }
    out_path = args.results / f"{dt.date.today():%Y-%m-%d}{'-quick' if args.quick else ''}.json"

    def save() -> None:
        results["ratios"] = compute_ratios(results)
        results["elapsed_s"] = round(time.perf_counter() - started, 1)
        tmp = out_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(out_path)

    if not args.sample_only:
        for size in sizes:
            log(f"corpus of {size} documents (seed {args.seed})")
            t0 = time.perf_counter()
            path = generate_corpus.generate(size, args.seed)
            info = generate_corpus.corpus_info(path)
            results["corpora"][str(size)] = {"path": str(path), "ready_s": round(time.perf_counter() - t0, 1),
                                             **{k: info[k] for k in ("n_municipalities", "formats", "words", "chars", "mean_words", "content_sha256")}}
        save()

        smallest = Path(results["corpora"][str(sizes[0])]["path"])
        documents = read_texts(smallest, inproc_docs)
        results["in_process"] = measure_in_process(documents, batch_size, breakdown_docs, max(1, args.rounds))
        # tokens per character of the measured texts -> estimated tokens of each whole corpus
        per_char = results["in_process"]["tokens"] / results["in_process"]["characters"]
        for size, info in results["corpora"].items():
            info["tokens_estimate"] = round(info["chars"] * per_char)
        del documents
        gc.collect()
        save()

    runner = Runner(work)
    if not args.skip_flow:
        # One tiny corpus: it creates Prefect's database (not measured) and then shows the
        # fixed cost of a run (imports, Prefect's temporary server, report) on a warm database.
        tiny = generate_corpus.generate(WARMUP_DOCS, args.seed, out=work / "corpora")
        results["prefect_warmup"] = runner.run("warmup", tiny, work / "out-warmup", runner.config("warmup"))
        overhead = runner.run("overhead", tiny, work / "out-overhead", runner.config("overhead"))
        results["overhead"] = {**overhead, "documents": WARMUP_DOCS}
        save()

    if not args.skip_flow and not args.sample_only:
        for size in sizes:
            corpus = Path(results["corpora"][str(size)]["path"])
            results["sizes"][str(size)] = full_and_rerun(runner, f"n{size}", corpus,
                                                         profile=args.profile and size == sizes[0])
            save()
        if not args.skip_workers:
            size = args.workers_size or sizes[-1]
            if str(size) not in results["corpora"]:
                results["corpora"][str(size)] = {"path": str(generate_corpus.generate(size, args.seed))}
            corpus = Path(results["corpora"][str(size)]["path"])
            results["workers"] = {"size": size}
            for n in (1, 2):
                results["workers"][str(n)] = full_and_rerun(
                    runner, f"dask{n}-n{size}", corpus, extra=["--task-runner", "dask", "--workers", str(n)], rerun=False)
                save()

    if not args.skip_flow and not args.skip_sample:
        results["sample"] = full_and_rerun(runner, "sample", CODE_ROOT / "corpora" / "sample")
        save()
        out = runner.work / "out-sample-flows"
        shutil.rmtree(out, ignore_errors=True)
        results["sample_flow_runs"] = runner.flow_runs("sample-flows", CODE_ROOT / "corpora" / "sample", out,
                                                       runner.config("sample-flows"), ["full", "unchanged", "rebuild"])
        shutil.rmtree(out, ignore_errors=True)
        save()

    results["finished_at"] = now()
    save()
    print()
    print(table(results))
    print(f"\nResults: {out_path}")
    if args.work is None and not args.profile:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"Logs{' and profiles' if args.profile else ''}: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

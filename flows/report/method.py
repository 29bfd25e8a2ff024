"""What method.html shows: provenance, aggregation rules and thresholds, the model's
cross-validated metrics, the lexicon and cue lists, configuration and package versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from flows.report.data import RunTables
from flows.report.labels import Labels
from nlp.aggregate import CATEGORY_RULES, AggregationConfig
from nlp.lexicon import CUES_PATH, LEXICON_PATH, RULES_PATH, data_version

MODEL_CARD = Path(__file__).resolve().parents[2] / "nlp" / "model" / "model_card.json"
CLASS_ORDER = ("regie", "netwerk", "zelfstandig", "geen")
RUN_METHOD_DIR = "method"  # optional copies of lexicon.yml, lexicon_rules.yml, cues.yml used by the run


def aggregation_settings(tables: RunTables) -> dict[str, Any]:
    """The run's aggregation settings, with today's defaults for any the run did not record."""
    defaults = AggregationConfig().model_dump()
    return {**defaults, **{k: v for k, v in tables.aggregation.items() if k in defaults}}


def _data_paths(tables: RunTables) -> tuple[Path, Path, Path]:
    """The lexicon, rules and cue files: the run's own copies in <run>/method/ when the flow
    saved them, else the files the run's config names (or the bundled defaults)."""
    saved = tables.run_dir / RUN_METHOD_DIR
    names = (LEXICON_PATH.name, RULES_PATH.name, CUES_PATH.name)
    if all((saved / name).is_file() for name in names):
        return (saved / names[0], saved / names[1], saved / names[2])
    nlp = (tables.run.get("config") or {}).get("nlp") or {}
    return (Path(nlp.get("lexicon_path") or LEXICON_PATH), Path(nlp.get("rules_path") or RULES_PATH),
            Path(nlp.get("cues_path") or CUES_PATH))


def _lexicon(tables: RunTables, t: Labels) -> dict[str, Any]:
    lexicon_path, rules_path, cues_path = _data_paths(tables)
    run_version = str(tables.run.get("lexicon_version") or "–")
    out: dict[str, Any] = {"run_version": run_version, "error": None, "mismatch": None}
    try:
        entries = yaml.safe_load(lexicon_path.read_text(encoding="utf-8")) or {}
        rules = (yaml.safe_load(rules_path.read_text(encoding="utf-8")) or {}) if rules_path.is_file() else {}
        disk_version = data_version(lexicon_path, rules_path, cues_path)
    except (OSError, yaml.YAMLError) as exc:
        out["error"] = t("lexicon_unavailable", error=str(exc))
        return out
    if disk_version != run_version:
        out["mismatch"] = t("lexicon_mismatch", disk=disk_version, run=run_version)
    frames = [(str(frame), [(str(sub), [str(p) for p in (patterns or [])]) for sub, patterns in (subs or {}).items()])
              for frame, subs in entries.items() if isinstance(subs, dict)]
    out.update(
        file=t("lexicon_file", path=lexicon_path.name),
        entries=frames,
        counts={frame: sum(len(p) for _, p in subs) for frame, subs in frames},
        exclusions=[(str(f), [str(p) for p in ps]) for f, ps in (rules.get("exclusions") or {}).items()],
        inverted=[str(x) for x in (rules.get("inverted") or [])],
    )
    return out


def _cues(tables: RunTables, t: Labels) -> dict[str, Any]:
    cues_path = _data_paths(tables)[2]
    try:
        data = yaml.safe_load(cues_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return {"error": str(exc), "sections": []}
    sections = []
    for key, value in data.items():
        section: dict[str, Any] = {"title": t.group("cue_section", key), "settings": [], "lists": []}
        if isinstance(value, list):
            section["lists"].append(("", [str(v) for v in value]))
        elif isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, list):
                    section["lists"].append(("" if name == "cues" else str(name), [str(v) for v in item]))
                else:
                    section["settings"].append((str(name), str(item)))
        sections.append(section)
    return {"error": None, "sections": sections}


def _model(tables: RunTables, t: Labels) -> dict[str, Any]:
    model = tables.run.get("model") or {}
    version = str(model.get("version") or "–")
    cv = model.get("cross_validation") or {}
    out: dict[str, Any] = {"version": version, "cv": bool(cv), "card_note": None, "training": None, "confusion": None}
    if cv:
        out["cv_summary"] = t("cv_summary", folds=cv.get("folds", "?"), macro_f1=t.num(cv.get("macro_f1"), 3),
                              accuracy=t.num(cv.get("accuracy"), 3))
        per_class = cv.get("per_class") or {}
        names = [c for c in CLASS_ORDER if c in per_class] + [c for c in per_class if c not in CLASS_ORDER]
        out["per_class"] = [(t.group("stance", name), per_class[name]) for name in names]
    try:
        card = json.loads(MODEL_CARD.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return out
    if str(card.get("model_version")) != version:
        out["card_note"] = t("model_card_mismatch", disk=card.get("model_version"), run=version)
        return out
    training = card.get("training_data") or {}
    if training:
        counts = ", ".join(f"{t.group('stance', k)} {v}" for k, v in (training.get("class_counts") or {}).items())
        files = ", ".join(str(f) for f in training.get("files") or [])
        out["training"] = f"{t('n_examples', n=training.get('n_examples', '?'))} ({counts}); {files}"
    matrix = (card.get("cross_validation") or {}).get("confusion_matrix") or {}
    if matrix.get("labels") and matrix.get("rows_gold_columns_predicted"):
        labels = [t.group("stance", x) for x in matrix["labels"]]
        out["confusion"] = {"labels": labels, "rows": list(zip(labels, matrix["rows_gold_columns_predicted"]))}
    return out


def _threshold_description(t: Labels, name: str, fallback: str) -> str:
    label = t.group("threshold_desc", name)
    return fallback if label == name else label


def method_context(tables: RunTables, t: Labels, version: str) -> dict[str, Any]:
    run = tables.run
    agg = aggregation_settings(tables)
    model = _model(tables, t)
    lexicon = _lexicon(tables, t)
    counts = run.get("counts") or {}
    config = run.get("config") or {}
    provenance = [
        (t("run_id"), tables.run_id),
        (t("started_at"), run.get("started_at", "–")),
        (t("finished_at"), run.get("finished_at", "–")),
        (t("corpus"), config.get("corpus", "–")),
        (t("corpus_hash"), run.get("corpus_hash", "–")),
        (t("count_inputs"), counts.get("inputs", "–")),
        (t("count_analysed"), counts.get("analysed", "–")),
        (t("lexicon_version"), lexicon["run_version"]),
        (t("model_version"), model["version"]),
        (t("code_sha256"), run.get("code_sha256", "–")),
        (t("spacy_pipeline"), run.get("spacy_pipeline", "–")),
    ]
    interval = f"{float(agg['interval']) * 100:g}%"
    rule_values = {"min_sentences": agg["min_evidence_sentences"], "min_documents": agg["min_documents"],
                   "min_documents_per_year": agg["min_documents_per_year"],
                   "share": t.num(agg["zelfstandig_share"]), "threshold": t.num(agg["axis_threshold"])}
    fields = AggregationConfig.model_fields
    thresholds = [(name, str(value), _threshold_description(t, name, fields[name].description or ""))
                  for name, value in agg.items()]
    return {
        "provenance": provenance,
        "cite": t("cite_text", version=version, code=str(run.get("code_sha256", "–"))[:12],
                  run_id=tables.run_id, corpus_hash=run.get("corpus_hash", "–"),
                  lexicon=lexicon["run_version"], model=model["version"]),
        "aggregation_text": t("aggregation_text", interval=interval, draws=agg["bootstrap_draws"], seed=agg["seed"]),
        "category_rules": [(rule, t(f"category_rule_{rule}", **rule_values)) for rule in CATEGORY_RULES],
        "trend_rule": t("trend_rule", min_trend=agg["min_trend_sentences"]),
        "thresholds": thresholds,
        "model": model,
        "lexicon": lexicon,
        "cues": _cues(tables, t),
        "config_json": json.dumps(config, ensure_ascii=False, indent=2),
        "packages": sorted((str(k), str(v)) for k, v in (run.get("packages") or {}).items()),
    }

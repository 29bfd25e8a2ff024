"""Run configuration: defaults here, overridden by a YAML file (--config) and CLI options."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flows.sources.readers import DEFAULT_MAX_TEXT_CHARS
from nlp.aggregate import AggregationConfig
from nlp.pipeline import NlpConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT / "corpora" / "sample"


class ConfigError(ValueError):
    """A configuration problem the user has to fix; the CLI exits 2 with this message."""


class IngestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_file_mb: float = Field(200.0, gt=0, description="larger files are rejected unread")
    max_text_chars: int = Field(DEFAULT_MAX_TEXT_CHARS, gt=0, le=DEFAULT_MAX_TEXT_CHARS,
                                description="longer extracted texts are rejected (at most the analyser's limit, 2,000,000)")


class OriConfig(BaseModel):
    """Open Raadsinformatie as the source (`regiescan run --source ori`)."""

    model_config = ConfigDict(extra="forbid")
    municipalities: list[str] = []
    since: dt.date | None = None
    until: dt.date | None = None
    query: str | None = None
    api: Literal["classic", "openbesluitvorming"] = "classic"
    base_url: str | None = None  # None = the API's public endpoint
    offline: bool = False  # replay the raw-response cache, no network
    cache_dir: Path = PROJECT_ROOT / "corpora" / "ori_cache"
    max_attempts: int = Field(5, ge=1)
    timeout: float = Field(30.0, gt=0)
    page_size: int = Field(100, ge=1, le=1000)


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Literal["folder", "ori"] = "folder"
    corpus: Path = DEFAULT_CORPUS
    out: Path = PROJECT_ROOT / "outputs"
    cache_dir: Path | None = Field(None, description="analysis cache [default: <out>/.cache]")
    batch_size: int = Field(200, ge=1, description="documents per analyse/classify task")
    batches_in_flight: int = Field(2, ge=1, description="batches analysed at the same time (per worker pool)")
    task_runner: Literal["threads", "dask"] = "threads"
    dask_address: str | None = Field(None, description="tcp://host:port of an existing Dask scheduler")
    dask_workers: int = Field(2, ge=1, description="workers of the local Dask cluster (without dask_address)")
    report_lang: Literal["nl", "en"] = Field("nl", description="language of the HTML report")
    rebuild: bool = Field(False, description="redo the run even when its inputs equal those of outputs/latest")
    ingest: IngestConfig = IngestConfig()
    ori: OriConfig = OriConfig()
    nlp: NlpConfig = NlpConfig()
    aggregation: AggregationConfig = AggregationConfig()

    @property
    def analysis_cache(self) -> Path:
        return self.cache_dir or self.out / ".cache" / "analysis"

    def to_record(self) -> dict[str, Any]:
        """JSON-ready form for run.json."""
        return self.model_dump(mode="json")


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Deep-merge CLI overrides into the file's settings; None means "not given"."""
    for key, value in overrides.items():
        if value is None:
            continue
        if isinstance(value, dict):
            target = base.get(key)
            if not isinstance(target, dict):
                target = base[key] = {}
            _merge(target, value)
        else:
            base[key] = value


def load_config(path: Path | None, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Defaults <- YAML file <- CLI overrides (None values are ignored)."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {path}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must be a mapping (key: value)")
        data.update(loaded)
    _merge(data, overrides or {})
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc

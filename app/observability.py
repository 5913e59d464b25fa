"""Prometheus metrics, one registry per app (no module-level collectors)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.pipeline.types import QueryResult

# answer_source -> the outcome label: "quoted" is the model's answer replaced by quotes
_OUTCOMES = {
    "generated": "generated",
    "extractive": "quoted",
    "abstained": "abstained",
    "cache": "cache",
}
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class CorpusChanges(Collector):
    """Corpus drift, read from the shared catalogue at each scrape: what the last load
    added, updated, deleted, re-permissioned and failed, and when it ran."""

    def __init__(self, loads: Callable[[int], list[dict[str, Any]]]) -> None:
        self.loads = loads

    def collect(self) -> Iterator[Metric]:
        try:
            last = self.loads(1)
        except Exception:  # the catalogue's database is down: no figures, not a failed scrape
            return
        if not last:
            return
        documents = GaugeMetricFamily(
            "docent_corpus_last_load_documents",
            "Documents the last load changed, by change",
            labels=["change"],
        )
        for change in ("added", "updated", "deleted", "acl_updated", "unchanged", "failed"):
            documents.add_metric([change], float(last[0][change]))
        yield documents
        yield GaugeMetricFamily(
            "docent_corpus_last_load_timestamp_seconds",
            "When the last load finished (Unix time)",
            value=last[0]["at"].timestamp(),
        )


# what the golden-set run's metrics.json holds, as docent_eval_metric{metric="group.name"}
_EVAL_GROUPS = ("retrieval", "answer", "citations", "abstention", "rewrite")


class LastEvalRun(Collector):
    """Quality drift: the newest scheduled golden-set run under ``folder`` (one folder per
    run, each with the ``metrics.json`` of ``python -m eval run``), read at each scrape."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def collect(self) -> Iterator[Metric]:
        runs = sorted(self.folder.glob("*/metrics.json"), key=lambda p: p.stat().st_mtime)
        if not runs:
            return
        try:
            data = json.loads(runs[-1].read_text())
        except (OSError, ValueError):  # a run still being written: the next scrape reads it
            return
        family = GaugeMetricFamily(
            "docent_eval_metric", "The newest golden-set run's figures", labels=["metric"]
        )
        for group in _EVAL_GROUPS:
            for name, value in (data.get(group) or {}).items():
                if isinstance(value, int | float):
                    family.add_metric([f"{group}.{name}"], float(value))
        for name in ("p50", "p95"):
            if isinstance((data.get("latency_ms") or {}).get(name), int | float):
                family.add_metric([f"latency_ms.{name}"], float(data["latency_ms"][name]))
        yield family
        yield GaugeMetricFamily(
            "docent_eval_last_run_timestamp_seconds",
            "When the newest golden-set run finished (Unix time)",
            value=runs[-1].stat().st_mtime,
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "docent_http_requests_total", "HTTP requests", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "docent_http_request_seconds",
            "HTTP latency",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.stage = Histogram(
            "docent_stage_seconds",
            "Pipeline stage latency",
            ["stage"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter("docent_tokens_total", "Generation tokens", ["direction"], registry=r)
        self.cache_hits = Counter("docent_answer_cache_hits_total", "Answer cache hits", registry=r)
        self.answers = Counter("docent_answers_total", "Answers by source", ["source"], registry=r)
        self.abstentions = Counter("docent_abstentions_total", "Abstained answers", registry=r)
        self.citation_drops = Counter(
            "docent_citations_dropped_total", "Citations removed by the checker", registry=r
        )
        self.degraded = Counter(
            "docent_degraded_answers_total",
            "Answers quoted from the sources because the model was unavailable",
            registry=r,
        )
        self.rejections = Counter(
            "docent_rejections_total", "Requests refused by limits", ["reason"], registry=r
        )
        # live quality, per prompt version: the A/B arms and a new template are watched
        # on the same figures as the eval harness measures offline
        self.prompt_answers = Counter(
            "docent_prompt_answers_total",
            "Answers by prompt version and outcome (generated, quoted, abstained, cache)",
            ["prompt_version", "outcome"],
            registry=r,
        )
        self.model_sentences = Counter(
            "docent_model_sentences_total",
            "Sentences the model wrote, as the citation check split them",
            ["prompt_version"],
            registry=r,
        )
        self.unsupported_sentences = Counter(
            "docent_unsupported_sentences_total",
            "Model sentences no cited source supports",
            ["prompt_version"],
            registry=r,
        )
        self.feedback = Counter(
            "docent_feedback_total",
            "Ratings by prompt version",
            ["prompt_version", "rating"],
            registry=r,
        )
        self.cost = Counter(
            "docent_cost_total",
            "Cost of generation in the price table's currency (DOCENT_PRICES)",
            ["model"],
            registry=r,
        )
        self.question_drift = Gauge(
            "docent_question_drift",
            "1 - cosine of the reference and current question centroids (app/drift.py)",
            registry=r,
        )
        self.uncovered_questions = Gauge(
            "docent_uncovered_question_share",
            "Share of recent questions whose best chunk is under the similarity floor",
            registry=r,
        )
        self.rate_limit_store_up = Gauge(
            "docent_rate_limit_store_up",
            "1 while the shared rate-limit store (Redis) answers; 0: each process limits alone",
            registry=r,
        )
        self.generation_waiting = Gauge(
            "docent_generation_waiting", "Questions waiting for a generation slot", registry=r
        )

    def observe(self, result: QueryResult, cost: float = 0.0) -> None:
        version = result.prompt_version
        self.prompt_answers.labels(version, _OUTCOMES.get(str(result.answer_source), "other")).inc()
        self.model_sentences.labels(version).inc(result.model_sentences)
        self.unsupported_sentences.labels(version).inc(result.model_unsupported)
        self.cost.labels(result.generator).inc(cost)  # 0 where unpriced: the series exists
        for stage, ms in result.timings_ms.items():
            self.stage.labels(stage).observe(ms / 1000)
        self.tokens.labels("in").inc(result.tokens_in)
        self.tokens.labels("out").inc(result.tokens_out)
        self.answers.labels(str(result.answer_source)).inc()
        if str(result.answer_source) == "cache":
            self.cache_hits.inc()
        if result.abstained:
            self.abstentions.inc()
        self.citation_drops.inc(result.dropped_citations)
        if result.degraded:
            self.degraded.inc()

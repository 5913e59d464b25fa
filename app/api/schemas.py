"""Request and response bodies of the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=20_000)
    conversation_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    stream: bool = False


class CitationOut(BaseModel):
    n: int
    doc_id: str
    path: str
    title: str
    section: str
    snippet: str
    score: float
    pages: list[int] = []


class EntityOut(BaseModel):
    mention: str
    canonical: str
    label: str


class SentenceOut(BaseModel):
    text: str
    cited: list[int]
    supported: bool


class AskResponse(BaseModel):
    answer: str
    citations: list[CitationOut]
    abstained: bool
    conversation_id: str | None
    trace_id: str
    prompt_version: str
    timings_ms: dict[str, float]
    question: str
    standalone_question: str
    entities: list[EntityOut]
    generator: str
    answer_source: str
    sentences: list[SentenceOut]
    closest_sources: list[CitationOut]
    dropped_citations: int
    tokens_in: int
    tokens_out: int
    degraded: bool = Field(
        default=False,
        description="The model was unavailable: the answer is quoted from the sources "
        "(answer_source 'extractive') until it is back.",
    )


class RetrieveRequest(BaseModel):
    query: str = Field(min_length=1, max_length=20_000)
    top_k: int = Field(default=5, ge=1, le=50)


class ChunkOut(BaseModel):
    id: str  # the chunk's id, stable while its document is unchanged
    doc_id: str
    path: str
    title: str
    section: str
    pages: list[int]  # for paged formats (PDF); empty otherwise
    text: str
    score: float


class RetrieveResponse(BaseModel):
    chunks: list[ChunkOut]


class FeedbackRequest(BaseModel):
    trace_id: str = Field(min_length=1, max_length=64)
    rating: Literal["up", "down"]
    comment: str = Field(default="", max_length=2000)


class PurgeResponse(BaseModel):
    """Rows deleted, by kind: conversations, messages, traces, feedback, audit."""

    deleted: dict[str, int]


class FeedbackResponse(BaseModel):
    id: int


class MeResponse(BaseModel):
    id: str
    name: str
    groups: list[str]
    admin: bool


class ConversationOut(BaseModel):
    id: str
    title: str
    created_at: str
    updated_at: str


class ConversationList(BaseModel):
    conversations: list[ConversationOut]


class MessageOut(BaseModel):
    question: str
    answer: str
    trace_id: str
    created_at: str
    result: dict[str, Any]


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


class RenameRequest(BaseModel):
    title: str = Field(min_length=1, max_length=200)


class TextPart(BaseModel):
    """A content part. Docent reads text: other kinds (images, audio, files) are refused
    with a message saying so, not silently dropped."""

    type: str
    text: str = ""


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[TextPart] | None = ""

    def text(self) -> str:
        """The message's text: a string, or its text parts joined."""
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        kinds = sorted({p.type for p in self.content} - {"text"})
        if kinds:
            raise ValueError(
                f"content parts of type {', '.join(kinds)} are not read: Docent answers "
                "from text only; send the question as a string or as parts of type 'text'"
            )
        return "\n".join(p.text for p in self.content)


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatRequest(BaseModel):
    """OpenAI's chat request. ``temperature``, ``max_tokens`` (or ``max_completion_tokens``)
    and ``stop`` are honoured: ``max_tokens`` is cut to the server's
    ``generation.max_tokens``; other fields clients send (``top_p``, ``seed``, ...) are
    ignored, as OpenAI-compatible servers commonly do."""

    model: str = "docent"
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    n: int = Field(default=1, ge=1, le=1, description="one answer per request")
    user: str | None = None

    def stops(self) -> tuple[str, ...]:
        words = [self.stop] if isinstance(self.stop, str) else self.stop or []
        if len(words) > 4 or any(not w or len(w) > 64 for w in words):
            raise ValueError("stop takes at most 4 non-empty strings of up to 64 characters")
        return tuple(words)


class SectionOut(BaseModel):
    section: str
    pages: list[int]
    text: str


class DocumentResponse(BaseModel):
    doc_id: str
    path: str
    title: str
    sections: list[SectionOut]
    truncated: bool = Field(description="cut at 1 M characters: ask for a section or a page")


class KeyRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="what the key is for")
    expires_in_days: int = Field(default=90, ge=1, le=365)
    groups: list[str] | None = Field(
        default=None, max_length=50, description="a subset of your groups; default: all"
    )


class KeyOut(BaseModel):
    id: str
    name: str
    groups: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


class NewKeyResponse(KeyOut):
    key: str = Field(description="shown this once: Docent keeps only its hash")


class KeysResponse(BaseModel):
    keys: list[KeyOut]


class AdminIngestRequest(BaseModel):
    paths: list[str] = Field(min_length=1)
    groups: str | None = None
    acl: str | None = Field(default=None, description="ACL file content (YAML)")
    prune: bool = False


class HealthResponse(BaseModel):
    status: str
    checks: dict[str, str] = {}


class FailedFile(BaseModel):
    path: str
    reason: str


class IngestResponse(BaseModel):
    """What one load changed (the same summary as ``ingest load --json``)."""

    added: int
    updated: int
    unchanged: int
    deleted: int
    acl_updated: int
    failed: list[FailedFile]
    chunks: int
    seconds: float
    embed_seconds: float


class DocumentOut(BaseModel):
    doc_id: str
    path: str
    title: str
    chunks: int
    complete: bool
    groups: list[str]


class IngestRunOut(BaseModel):
    at: str
    user: str
    paths: list[str]
    summary: dict[str, Any]


class FeedbackCount(BaseModel):
    prompt_version: str
    rating: str
    count: int


class AnswerOut(BaseModel):
    at: str
    abstained: bool
    prompt_version: str
    source: str
    timings_ms: dict[str, float]


class QualityFigures(BaseModel):
    answers: int
    abstained: int
    quoted: int
    cached: int
    sentences: int
    unsupported: int
    dropped: int
    up: int
    down: int
    tokens_in: int
    tokens_out: int
    cost: float
    abstained_share: float | None
    quoted_share: float | None
    unsupported_share: float | None
    dropped_per_answer: float | None
    up_rate: float | None


class QualityDay(QualityFigures):
    day: str
    prompt_version: str


class UsageOf(QualityFigures):
    name: str


class QualityResponse(BaseModel):
    days: int
    by_day: list[QualityDay]
    by_user: list[UsageOf]
    by_group: list[UsageOf]


class EstimateOut(BaseModel):
    value: float | None
    low: float | None  # the 95% interval
    high: float | None
    n: int


class ProportionTestOut(BaseModel):
    difference: float
    z: float
    p_value: float


class ArmOut(BaseModel):
    prompt_version: str
    answers: int
    abstained: EstimateOut
    quoted: EstimateOut
    unsupported: EstimateOut
    up_rate: EstimateOut
    latency_ms: EstimateOut
    versus_baseline: ProportionTestOut | None


class AbResponse(BaseModel):
    days: int
    baseline: str
    arms: list[ArmOut]


class DownVotedOut(BaseModel):
    trace_id: str
    at: str
    user: str
    question: str  # as stored in the trace: PII redacted
    answer: str
    comment: str
    prompt_version: str
    generator: str
    retrieved: list[dict[str, Any]]  # chunk id, document, path, score
    correction: str | None  # the latest editor's answer, if any


class DownVotedResponse(BaseModel):
    answers: list[DownVotedOut]
    withheld: int = 0  # down-voted answers that drew on documents the editor may not read


class CorrectionRequest(BaseModel):
    trace_id: str = Field(min_length=1, max_length=64)
    answer: str = Field(min_length=1, max_length=4000)


class CorrectionResponse(BaseModel):
    id: int


class DriftResponse(BaseModel):
    window: int
    seen: int  # questions in the current window
    has_reference: bool
    distance: float  # 1 - cos(reference centroid, current centroid); 0 until both exist
    uncovered_share: float
    reference_file: str | None  # where a saved reference is kept across restarts


class OverviewResponse(BaseModel):
    collection: str
    documents: list[DocumentOut]
    ingest_runs: list[IngestRunOut]
    feedback: list[FeedbackCount]
    answers: list[AnswerOut]

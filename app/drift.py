"""Question drift: are people asking about what they asked about before, and does the corpus
still cover it?

Two figures over a sliding window of the last ``window`` questions a process answered:

- **centroid distance**: ``1 - cos(mean of the reference window's question vectors, mean of
  the current window's)``. The question vectors are the retriever's normalised MiniLM
  embeddings, so the mean is the window's topic centroid; 0 is the same mix of topics, and
  the figure grows as the mix moves. The reference is the first full window after the
  process starts, or the window an admin kept (``POST /v1/admin/drift/reference``, the
  admin page's button), written to ``DOCENT_DRIFT_REFERENCE_FILE`` so that a restart does
  not reset it.
- **uncovered share**: the share of the window's questions whose best chunk scored under
  the answer policy's similarity floor ("the corpus doesn't cover what people now ask").

Both are exported as gauges (``docent_question_drift``, ``docent_uncovered_question_share``)
and alerted on in deploy/prometheus/alerts.yml. Per process: with several replicas,
Prometheus sees each one's window.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger("docent.drift")


class QuestionDrift:
    def __init__(self, *, window: int, floor: float, reference: np.ndarray | None = None) -> None:
        self.window = window
        self.floor = floor
        self._reference = reference
        self._vectors: deque[np.ndarray] = deque(maxlen=window)
        self._uncovered: deque[bool] = deque(maxlen=window)
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, *, window: int, floor: float, reference_file: Path | None
    ) -> QuestionDrift:
        """A saved reference that cannot be read, or that has another shape than a question
        vector (the embedding model changed), is ignored with a warning: the first full
        window becomes the reference again, and the service starts either way."""
        reference = None
        if reference_file is not None and reference_file.exists():
            try:
                loaded = np.load(reference_file, allow_pickle=False)
                if loaded.ndim != 1 or not np.all(np.isfinite(loaded)):
                    raise ValueError(f"shape {loaded.shape}")
                reference = loaded.astype(np.float32)
            except (OSError, ValueError) as exc:
                log.warning("ignoring the drift reference %s: %s", reference_file, exc)
        return cls(window=window, floor=floor, reference=reference)

    def observe(self, vector: Sequence[float], top_similarity: float) -> None:
        """One answered question (a refused one, with no vector, is not counted)."""
        if not vector:
            return
        with self._lock:
            self._vectors.append(np.asarray(vector, dtype=np.float32))
            self._uncovered.append(top_similarity < self.floor)
            if self._reference is None and len(self._vectors) == self.window:
                self._reference = self._centroid()

    def _centroid(self) -> np.ndarray:
        return np.mean(np.stack(list(self._vectors)), axis=0)

    @property
    def distance(self) -> float:
        """The centroid distance; 0 until there is a reference and a full window."""
        with self._lock:
            if self._reference is None or len(self._vectors) < self.window:
                return 0.0
            current = self._centroid()
            reference = self._reference
        if reference.shape != current.shape:  # a reference from another embedding model
            return 0.0
        cosine = float(
            np.dot(reference, current) / (np.linalg.norm(reference) * np.linalg.norm(current))
        )
        return max(0.0, 1.0 - cosine)

    @property
    def seen(self) -> int:
        """Questions in the current window (at most ``window``)."""
        with self._lock:
            return len(self._vectors)

    @property
    def has_reference(self) -> bool:
        with self._lock:
            return self._reference is not None

    @property
    def uncovered_share(self) -> float:
        with self._lock:
            return sum(self._uncovered) / len(self._uncovered) if self._uncovered else 0.0

    def save_reference(self, path: Path | None) -> int:
        """Keeps the current window's centroid as the reference (after a deliberate change:
        a new corpus, a new audience), for this process and, written to ``path``, for the
        next ones. Returns how many questions the reference is made of."""
        with self._lock:
            if len(self._vectors) < self.window:
                raise ValueError(
                    f"{len(self._vectors)} of {self.window} questions seen since the start: "
                    "a reference needs a full window. Try again later."
                )
            self._reference = self._centroid()
            reference, count = self._reference, len(self._vectors)
        if path is not None:
            # written beside and renamed: a crash or a second replica never leaves a torn file
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.part")
            with partial.open("wb") as fh:  # np.save on a name would append ".npy"
                np.save(fh, reference)
            os.replace(partial, path)
        return count

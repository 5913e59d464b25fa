"""Answers batch jobs in the background, one question at a time, beside interactive use.

Each question goes through the same pipeline as an interactive one (cache, permissions,
citation check) as the job's user, and is recorded like one (trace, audit, metrics). When
every generation slot is busy the question waits for one rather than failing: interactive
questions are not slowed by more than the one slot a batch holds.
"""

from __future__ import annotations

import logging
import threading

from app.api.answering import AnswerService
from app.pipeline.errors import Overloaded
from app.storage.batches import BatchStore, Claimed
from app.storage.repository import DRAWN_FROM
from core.errors import DocentError

log = logging.getLogger("docent.batches")


class BatchRunner:
    def __init__(self, store: BatchStore, answering: AnswerService, idle_s: float = 1.0) -> None:
        self.store = store
        self.answering = answering
        self.idle_s = idle_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Requeues what a stopped process left running, then works until ``stop``."""
        requeued = self.store.requeue_running()
        if requeued:
            log.info("batch questions resumed", extra={"fields": {"requeued": requeued}})
        self._thread = threading.Thread(target=self._loop, name="docent-batches", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self.store.claim()
            except Exception:  # the database is down: try again shortly
                log.exception("batch queue unreadable")
                self._stop.wait(self.idle_s)
                continue
            if claimed is None:
                self._stop.wait(self.idle_s)
            else:
                self._answer(claimed)

    def _answer(self, claimed: Claimed) -> None:
        pipeline = self.answering.pipeline
        try:
            while True:
                try:
                    result = pipeline.run(claimed.question, claimed.user)
                    break
                except Overloaded:  # every slot busy: wait for one, do not fail
                    if self._stop.wait(0.5):
                        return  # stopping: the item is requeued by the next start
            # with every document the answer read: the output is withheld from a reader who
            # may no longer read one of them (app/api/routes/batches.py)
            body = {
                **self.answering.record(claimed.user, None, result),
                DRAWN_FROM: sorted({c.doc_id for c in result.retrieved}),
            }
        except DocentError as exc:  # a refused question (injection, too long): its reason
            self.store.finish(claimed, None, exc.message)
            return
        except Exception:
            log.exception("batch question failed", extra={"fields": {"item": claimed.item_id}})
            self.store.finish(claimed, None, "internal error: see the service log")
            return
        self.store.finish(claimed, body)

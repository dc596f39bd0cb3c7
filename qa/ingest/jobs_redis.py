"""Ingest jobs on a shared Redis (``QA_QUEUE_URL``): any API host answers for any job, and
`qa worker` processes on any host run them, scaled apart from the API.

Dramatiq carries the work. A job is split at submit into steps of a few articles; each step is
one Dramatiq message. Its Redis broker acks a message only when the step returns, and requeues
the unacked messages of a worker whose heartbeat stopped (``QA_QUEUE_DEAD_WORKER_S``), so a
step whose worker died is run again by another. Failed steps are retried with exponential
backoff by Dramatiq's Retries middleware.

What Dramatiq does not know is kept here, in plain Redis hashes: the job (state, progress,
timings), each article's outcome and the bodies still to ingest. An article's body is deleted
in the same transaction that records its outcome, so a step run twice (its worker died after
writing) skips what was done; and ingest is idempotent, so a store write repeated after a crash
writes nothing twice. Earlier copies of an id repeated in one batch are settled at submit, so
steps that run in parallel on two workers never race on one article.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar, cast

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage
from redis.typing import EncodableT, FieldT

from qa.errors import QueueUnavailable
from qa.ingest.jobs import (
    CANCELLED,
    HEARTBEAT_S,
    MAX_ATTEMPTS,
    PAGE_ARTICLES,
    RETENTION_S,
    RETRY_WAIT_MAX_S,
    RETRY_WAIT_S,
    STEP_ARTICLES,
    WORKER_FORGOTTEN_S,
    Job,
    JobArticle,
    JobState,
    WorkerInfo,
    batch_index,
    first_store_failure,
    settled,
    worker_name,
)
from qa.ingest.pipeline import Ingestor
from qa.models import Article, ArticleOutcome

log = logging.getLogger(__name__)

DEAD_WORKER_S = 60.0  # default for QA_QUEUE_DEAD_WORKER_S
# Dramatiq runs its dead-worker sweep on a random share of broker calls (out of a million), for
# the queue of the call. Its default (0.1%) finds a dead worker after many minutes of idle
# polling (about one call a second); half the calls cost a small Lua scan each (a sorted set of
# heartbeats) and find it within a few seconds of the timeout (20% measured 7-15 s at 5 s).
MAINTENANCE_CHANCE = 500_000
STEP_TIME_LIMIT_S = 600  # a step that runs longer is interrupted and retried
QUEUE = "ingest"
# Steps of one job in the queue at once: each finished step sends the next. Two workers can share
# a job, and a job submitted later waits behind at most this many steps of each earlier one, not
# behind all of a 100,000-article job.
STEPS_IN_FLIGHT = 2
UNREPORTED = "stored already: by this job's earlier run of the step (its worker stopped before reporting) or before"
T = TypeVar("T")


class _StepFailed(dramatiq.Retry):
    """A step that must be tried again later (the store failed); not logged as a crash."""


class RedisJobQueue:
    """Implements :class:`qa.ingest.jobs.IngestQueue` on Redis, through Dramatiq."""

    def __init__(
        self,
        url: str,
        ingestor: Ingestor,
        *,
        prefix: str = "qa",
        step_articles: int = STEP_ARTICLES,
        dead_worker_s: float = DEAD_WORKER_S,
        retry_wait_s: float = RETRY_WAIT_S,
        max_attempts: int = MAX_ATTEMPTS,
        retention_s: float = RETENTION_S,
    ) -> None:
        self.ingestor = ingestor
        self.retention_s = retention_s
        self.prefix = prefix
        self.step_articles = step_articles
        self.dead_worker_s = dead_worker_s
        self.max_attempts = max_attempts
        self.name = worker_name()
        self.client = redis.Redis.from_url(url, socket_timeout=30, health_check_interval=30)
        self.broker = RedisBroker(
            client=self.client,
            namespace=f"{prefix}-dramatiq",
            heartbeat_timeout=int(dead_worker_s * 1000),
            maintenance_chance=MAINTENANCE_CHANCE,
        )
        self.broker.add_middleware(CurrentMessage())
        self.actor: dramatiq.Actor[[str, int, list[int]], None] = dramatiq.Actor(
            self._run_step,
            broker=self.broker,
            actor_name="ingest_step",
            queue_name=QUEUE,
            priority=0,
            options={
                "max_retries": max_attempts - 1,
                "min_backoff": int(retry_wait_s * 1000),
                "max_backoff": int(RETRY_WAIT_MAX_S * 1000),
                "time_limit": STEP_TIME_LIMIT_S * 1000,
            },
        )
        self._worker: dramatiq.Worker | None = None
        self._beat: threading.Thread | None = None
        self._stop = threading.Event()
        self._steps = 0
        self._started_at = time.time()

    # -- keys -------------------------------------------------------------------------------------

    def _key(self, job_id: str, part: str = "") -> str:
        return f"{self.prefix}:job:{job_id}" + (f":{part}" if part else "")

    @property
    def _workers_key(self) -> str:
        return f"{self.prefix}:workers"

    @contextmanager
    def _redis(self) -> Iterator[None]:
        try:
            yield
        except (redis.RedisError, dramatiq.errors.BrokerConnectionError) as exc:
            raise QueueUnavailable(f"the job queue (QA_QUEUE_URL) cannot be reached: {exc}") from exc

    # -- the client side ------------------------------------------------------------------------

    def submit(
        self,
        articles: Sequence[tuple[int, Article]],
        rejected: Sequence[ArticleOutcome] = (),
        client: str | None = None,
    ) -> str:
        job_id = uuid.uuid4().hex[:16]
        last = {a.id: i for i, a in articles}
        entries: dict[int, JobArticle] = {}
        bodies: dict[int, str] = {}
        for i, a in articles:
            if last[a.id] == i:
                entries[i] = JobArticle(i, a.id, "pending")
                bodies[i] = a.model_dump_json()
            else:  # only the last copy is written, as it would be written in order
                entries[i] = JobArticle(i, a.id, "unchanged", f"repeated later in this job (articles[{last[a.id]}])")
        for r in rejected:
            entries[batch_index(r)] = JobArticle(batch_index(r), r.id, "failed", r.detail)
        pending = sorted(bodies)
        steps = [pending[k : k + self.step_articles] for k in range(0, len(pending), self.step_articles)]
        now = time.time()
        job: dict[FieldT, EncodableT] = {"state": "queued", "created_at": now, "total": len(entries)}
        job |= {"steps": len(steps), "chunks": 0, "busy_s": 0.0, "client": client or ""}
        if not steps:
            job |= {"state": "done", "finished_at": now}
        with self._redis():
            with self.client.pipeline(transaction=True) as p:
                p.hset(self._key(job_id), mapping=job)
                p.hset(self._key(job_id, "articles"), mapping={str(i): _dump(e) for i, e in entries.items()})
                if bodies:
                    p.hset(self._key(job_id, "bodies"), mapping={str(i): b for i, b in bodies.items()})
                p.hset(self._key(job_id, "counts"), mapping=dict(Counter(e.status for e in entries.values())))
                if steps:
                    p.hset(self._key(job_id, "plan"), mapping={str(n): json.dumps(s) for n, s in enumerate(steps)})
                p.execute()
            if not steps:
                self._expire(job_id)
            # The job is recorded before its steps are sent; the caller is answered after both.
            for n, indices in enumerate(steps[:STEPS_IN_FLIGHT]):
                self.actor.send(job_id, n, indices)
                self.client.sadd(self._key(job_id, "sent"), n)
        return job_id

    def get(self, job_id: str, articles: bool = True, offset: int = 0, limit: int = PAGE_ARTICLES) -> Job | None:
        page = [str(i) for i in range(offset, offset + limit)] if articles and limit > 0 else []
        with self._redis(), self.client.pipeline(transaction=True) as p:  # one snapshot
            p.hgetall(self._key(job_id))
            p.hgetall(self._key(job_id, "counts"))
            p.hkeys(self._key(job_id, "holders"))
            if page:
                p.hmget(self._key(job_id, "articles"), page)
            raw, counts, holders, *rest = p.execute()
        if not raw:
            return None
        h = {k.decode(): v.decode() for k, v in raw.items()}

        def when(name: str) -> float | None:
            return float(h[name]) if name in h else None

        alive = {w.name for w in self.workers() if w.alive}
        entries = [_load(v, int(k)) for k, v in zip(page, rest[0], strict=True) if v is not None] if rest else []
        return Job(
            id=job_id,
            state=cast(JobState, h["state"]),
            created_at=float(h["created_at"]),
            started_at=when("started_at"),
            finished_at=when("finished_at"),
            total=int(h["total"]),
            chunks=int(h["chunks"]),
            busy_s=float(h["busy_s"]),
            error=h.get("error"),
            counts={k.decode(): int(v) for k, v in counts.items() if int(v)},
            articles=entries,
            workers=sorted(n for w in holders if (n := w.decode()) in alive),
        )

    def check_ready(self) -> None:
        with self._redis():
            self.client.ping()

    def cancel(self, job_id: str) -> Job | None:
        key, bodies_key, articles_key = self._key(job_id), self._key(job_id, "bodies"), self._key(job_id, "articles")

        stopped: list[bool] = []  # set by the transaction's last (successful) run

        def stop(p: redis.client.Pipeline) -> None:
            stopped[:] = [p.hget(key, "state") in (b"queued", b"running")]
            if not stopped[0]:  # no such job, or it has finished
                p.multi()
                return
            pending = [k.decode() if isinstance(k, bytes) else k for k in p.hkeys(bodies_key)]
            old = p.hmget(articles_key, pending) if pending else []
            p.multi()
            p.hset(key, mapping={"state": "cancelled", "finished_at": time.time()})
            if pending:
                gone = zip(pending, old, strict=True)
                p.hset(articles_key, mapping={i: _dump(_load(o, int(i)).settled("failed", CANCELLED)) for i, o in gone})
                p.delete(bodies_key)
                p.hincrby(self._key(job_id, "counts"), "failed", len(pending))
                p.hincrby(self._key(job_id, "counts"), "pending", -len(pending))

        with self._redis():
            self.client.transaction(stop, key, bodies_key)
            if stopped[0]:
                self._expire(job_id)
                log.info("ingest job %s cancelled", job_id)
        return self.get(job_id, articles=False)

    def _expire(self, job_id: str) -> None:
        """A finished job is kept QA_JOB_RETENTION_DAYS, then Redis deletes it."""
        with self.client.pipeline(transaction=False) as p:
            for part in ("", "articles", "bodies", "counts", "holders", "steps_done", "step_runs", "plan", "sent"):
                p.expire(self._key(job_id, part), int(self.retention_s))
            p.execute()

    def workers(self) -> list[WorkerInfo]:
        now = time.time()
        with self._redis():
            raw = self.client.hgetall(self._workers_key)
        found = []
        for v in raw.values():
            w = json.loads(v)
            if now - w["last_seen"] < WORKER_FORGOTTEN_S:
                found.append(WorkerInfo(**w, alive=now - w["last_seen"] < self.dead_worker_s))
        return sorted(found, key=lambda w: -w.started_at)

    # -- the worker side ------------------------------------------------------------------------

    def _run_step(self, job_id: str, step: int, indices: list[int]) -> None:
        """One Dramatiq message: ingest the step's articles that have no outcome yet."""
        holders = self._key(job_id, "holders")
        self._steps += 1
        self.client.hset(holders, self.name, time.time())
        try:
            with self.client.pipeline(transaction=True) as p:
                p.hsetnx(self._key(job_id), "started_at", time.time())
                p.hget(self._key(job_id), "state")
                p.hmget(self._key(job_id, "bodies"), indices)
                p.hincrby(self._key(job_id, "step_runs"), str(step), 1)
                _, state, bodies, runs = p.execute()
            if state is None or state == b"cancelled":
                return  # the job is gone, or its remaining steps were cancelled
            if state == b"queued":
                self.client.hset(self._key(job_id), "state", "running")
            todo = [(i, Article.model_validate_json(b)) for i, b in zip(indices, bodies, strict=True) if b is not None]
            if todo:
                try:
                    self._ingest(job_id, todo, rerun=runs > 1)
                except dramatiq.Retry:
                    raise
                except Exception as exc:  # a bug or Redis down mid-step: retried, and in the end reported
                    log.exception("ingest job %s: step %d", job_id, step)
                    self._failed_attempt(job_id, [i for i, _ in todo], f"{type(exc).__name__}: {exc}"[:300])
            self._finish_step(job_id, step)
        finally:
            self.client.hdel(holders, self.name)
            _quietly(self._heartbeat)

    def _ingest(self, job_id: str, todo: list[tuple[int, Article]], rerun: bool) -> None:
        t0 = time.perf_counter()
        try:
            report = self.ingestor.ingest([a for _, a in todo])
        except Exception as exc:  # the store is down or broken: nothing of this step was acknowledged
            log.warning("ingest job %s: a step failed (%s)", job_id, exc)
            self._failed_attempt(job_id, [i for i, _ in todo], str(exc).splitlines()[0][:300])
            return
        by_id = report.outcomes()
        retry = [i for i, a in todo if a.id in by_id and by_id[a.id].retryable]
        outcome = {i: settled(by_id.get(a.id)) for i, a in todo if i not in retry}
        if rerun:  # "unchanged" may be this job's own write, made by a run whose worker died before reporting
            outcome = {i: (s, r if s != "unchanged" else UNREPORTED) for i, (s, r) in outcome.items()}
        self._record(job_id, outcome, chunks=report.chunks, busy_s=time.perf_counter() - t0)
        if retry:  # a store write failed: those articles stay pending and the step is retried
            self._failed_attempt(job_id, retry, first_store_failure(report))

    def _record(
        self, job_id: str, outcome: dict[int, tuple[str, str | None]], *, chunks: int = 0, busy_s: float = 0.0
    ) -> None:
        """Write outcomes of articles still pending; one whose body is gone was recorded by an
        earlier run of this step, and neither its outcome nor the counts change again."""
        bodies_key, ids = self._key(job_id, "bodies"), list(outcome)

        def write(p: redis.client.Pipeline) -> None:
            bodies = dict(zip(ids, p.hmget(bodies_key, ids), strict=True))
            old = {i: _load(o, i) for i, o in zip(ids, p.hmget(self._key(job_id, "articles"), ids), strict=True)}
            # Pending ones, and ones a cancel marked failed while this step was storing them.
            still = [i for i in ids if bodies[i] is not None or old[i].reason == CANCELLED]
            p.multi()
            if still:
                p.hset(
                    self._key(job_id, "articles"),
                    mapping={str(i): _dump(old[i].settled(*outcome[i])) for i in still},
                )
                p.hdel(bodies_key, *still)
                for status, n in Counter(outcome[i][0] for i in still).items():
                    p.hincrby(self._key(job_id, "counts"), status, n)
                for status, n in Counter(old[i].status for i in still).items():
                    p.hincrby(self._key(job_id, "counts"), status, -n)
            p.hincrby(self._key(job_id), "chunks", chunks)
            p.hincrbyfloat(self._key(job_id), "busy_s", busy_s)

        self.client.transaction(write, bodies_key)

    def _failed_attempt(self, job_id: str, pending: list[int], reason: str) -> None:
        message = CurrentMessage.get_current_message()
        attempts = 1 + (message.options.get("retries", 0) if message else 0)
        if attempts < self.max_attempts:
            self.client.hset(self._key(job_id), "error", reason)
            raise _StepFailed(f"ingest job {job_id}: attempt {attempts} failed: {reason}")
        # The client is told exactly which articles were not stored, so it can send them again.
        self._record(job_id, dict.fromkeys(pending, ("failed", f"not stored: {reason}")))
        self.client.hset(
            self._key(job_id), mapping={"error": f"gave up after {attempts} failed attempts: {reason}", "gave_up": 1}
        )

    def _finish_step(self, job_id: str, step: int) -> None:
        # The next step of this lane first: a run of this step redone after its worker died sends
        # it if that worker had not (twice at worst, and a step run twice writes nothing twice).
        nxt = step + STEPS_IN_FLIGHT
        plan = self.client.hget(self._key(job_id, "plan"), str(nxt))
        if plan is not None and not self.client.sismember(self._key(job_id, "sent"), str(nxt)):
            self.actor.send(job_id, nxt, json.loads(plan))
            self.client.sadd(self._key(job_id, "sent"), nxt)
        done_key = self._key(job_id, "steps_done")
        with self.client.pipeline(transaction=True) as p:
            p.sadd(done_key, step)
            p.scard(done_key)
            p.hmget(self._key(job_id), ["steps", "gave_up"])
            _, done, (steps, gave_up) = p.execute()
        if done >= int(steps):
            state = "failed" if gave_up else "done"
            key = self._key(job_id)

            def finish(p: redis.client.Pipeline) -> None:
                cancelled = p.hget(key, "state") == b"cancelled"
                p.multi()
                if not cancelled:
                    p.hsetnx(key, "finished_at", time.time())
                    p.hset(key, "state", state)

            self.client.transaction(finish, key)
            self._expire(job_id)
            log.info("ingest job %s %s", job_id, state)

    def _heartbeat(self) -> None:
        me = {"name": self.name, "host": socket.gethostname(), "pid": os.getpid(), "steps": self._steps}
        me |= {"started_at": self._started_at, "last_seen": time.time()}
        self.client.hset(self._workers_key, self.name, json.dumps(me))

    def start(self) -> None:
        if self._worker is not None:
            return
        self._stop.clear()
        _quietly(self._heartbeat)  # Redis down at start: the worker waits for it, and says so
        # One thread: a worker's step already uses the cores (embedding); add workers, not threads.
        self._worker = dramatiq.Worker(self.broker, worker_threads=1)
        self._worker.start()

        def beat() -> None:
            while not self._stop.wait(HEARTBEAT_S):
                _quietly(self._heartbeat)

        self._beat = threading.Thread(target=beat, name="ingest-worker-heartbeat", daemon=True)
        self._beat.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop after the step in progress; unacked steps go back to the queue for others."""
        if self._worker is None:
            return
        self._stop.set()
        self._worker.stop(timeout=int(timeout_s * 1000))
        self._worker = None
        if self._beat is not None:
            self._beat.join(timeout_s)
        _quietly(lambda: self.client.hdel(self._workers_key, self.name))  # gone, not silent


def _dump(e: JobArticle) -> str:
    return json.dumps([e.article_id, e.status, e.reason])


def _load(raw: bytes | str | None, index: int) -> JobArticle:
    if raw is None:
        raise KeyError(f"job article {index} is missing")
    return JobArticle(index, *json.loads(raw))


def _quietly(fn: Callable[[], T]) -> T | None:
    try:
        return fn()
    except redis.RedisError as exc:  # a heartbeat missed is retried; Redis down is logged once per beat
        log.warning("job queue: %s", exc)
        return None

"""Background ingest: submit a batch of any size, get a job id at once, follow its progress."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from qa.api.deps import ArticlesBody, IngestDep
from qa.ingest.jobs import PAGE_ARTICLES
from qa.schemas import ErrorOut, IngestJobAccepted, IngestJobOut, IngestWorkerOut

router = APIRouter(prefix="/ingest", tags=["ingest"])


@router.post(
    "",
    status_code=202,
    response_model=IngestJobAccepted,
    summary="Queue articles for ingest; the job is on disk before this answers",
)
def submit(services: IngestDep, items: ArticlesBody, request: Request, response: Response) -> IngestJobAccepted:
    # The caller as the middleware named it (a key's fingerprint, or an address): jobs take turns by it.
    job = services.submit_ingest(items, client=getattr(request.state, "client", None))
    # A path, not a URL built from the Host header: a client follows it on the server it asked,
    # so a forged Host cannot send it (and its key) elsewhere, and a TLS proxy's scheme holds.
    url = request.app.url_path_for("ingest_job", job_id=job.id)
    response.headers["Location"] = url
    return IngestJobAccepted(
        job_id=job.id, state=job.state, total=job.total, rejected=job.counts.get("failed", 0), url=url
    )


# Declared before /{job_id}, which would otherwise take "workers" for a job id.
@router.get("/workers", response_model=list[IngestWorkerOut], summary="The processes that run ingest jobs")
def ingest_workers(services: IngestDep) -> list[IngestWorkerOut]:
    return [IngestWorkerOut.of(w) for w in services.ingest_workers()]


_NO_SUCH_JOB: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No job has this id."}}


@router.get(
    "/{job_id}",
    response_model=IngestJobOut,
    summary="A job's state, progress and per-article outcome",
    name="ingest_job",
    responses=_NO_SUCH_JOB,
)
def ingest_job(
    services: IngestDep,
    job_id: str,
    articles: Annotated[
        bool, Query(description="Include the articles' outcomes (false: counts only, for polling).")
    ] = True,
    offset: Annotated[int, Query(ge=0, description="The first article's position in the batch.")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Articles per page.")] = PAGE_ARTICLES,
) -> IngestJobOut:
    return IngestJobOut.of(services.ingest_job(job_id, articles, offset, limit), offset, limit)


@router.delete(
    "/{job_id}",
    response_model=IngestJobOut,
    summary="Cancel a job: what it stored stays; the rest is reported failed (cancelled)",
    responses={**_NO_SUCH_JOB, 409: {"model": ErrorOut, "description": "The job has already finished."}},
)
def cancel_ingest_job(services: IngestDep, job_id: str) -> IngestJobOut:
    return IngestJobOut.of(services.cancel_ingest(job_id))

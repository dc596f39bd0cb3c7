"""Background ingest: submit a batch of any size, get a job id at once, follow its progress."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from qa.api.deps import ArticlesBody, ServicesDep
from qa.schemas import ErrorOut, IngestJobAccepted, IngestJobOut, IngestWorkerOut

router = APIRouter(prefix="/ingest", tags=["ingest"])


@router.post(
    "",
    status_code=202,
    response_model=IngestJobAccepted,
    summary="Queue articles for ingest; the job is on disk before this answers",
)
def submit(services: ServicesDep, items: ArticlesBody, request: Request, response: Response) -> IngestJobAccepted:
    job = services.submit_ingest(items)
    url = str(request.url_for("ingest_job", job_id=job.id))
    response.headers["Location"] = url
    return IngestJobAccepted(
        job_id=job.id, state=job.state, total=job.total, rejected=job.counts.get("failed", 0), url=url
    )


# Declared before /{job_id}, which would otherwise take "workers" for a job id.
@router.get("/workers", response_model=list[IngestWorkerOut], summary="The processes that run ingest jobs")
def ingest_workers(services: ServicesDep) -> list[IngestWorkerOut]:
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
    services: ServicesDep,
    job_id: str,
    articles: Annotated[
        bool, Query(description="Include each article's outcome (false: counts only, for polling).")
    ] = True,
) -> IngestJobOut:
    return IngestJobOut.of(services.ingest_job(job_id, articles))

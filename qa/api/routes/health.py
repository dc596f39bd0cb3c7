from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response

from qa.api.deps import HealthChecks, HealthDep
from qa.schemas import ErrorOut, Health

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])
ready = APIRouter(tags=["health"])  # readiness tells what is configured: it takes a key where keys are set


@router.get(
    "/healthz",
    response_model=Health,
    response_model_exclude_none=True,
    summary="Liveness; with a key (or without QA_API_KEYS), also the store's size, engine and store",
)
def healthz(services: HealthDep, request: Request) -> Health:
    if not getattr(request.state, "authenticated", True):
        return Health(status="ok")  # a probe needs no key, and learns nothing more without one
    status = services.status()
    return Health(
        status="ok",
        articles=status.articles,
        chunks=status.chunks,
        engine=status.engine,
        store=status.store,
        self_retrieval=_self_retrieval(services),
        replaced_chunks=status.replaced_chunks,
    )


def _self_retrieval(services: HealthChecks) -> float | None:
    """The figure, or none where the store cannot give it now: liveness never fails on a diagnostic."""
    try:
        return round(services.self_retrieval().share, 3)
    except Exception as exc:
        log.warning("self-retrieval not measured: %s", exc)
        return None


@router.head("/healthz", include_in_schema=False)
def healthz_head() -> Response:
    """Load balancers probe with HEAD: alive is enough, and costs no store call."""
    return Response(status_code=200)


@ready.get(
    "/readyz",
    summary="Ready: the store and the ingest queue answer, and the LLM and embeddings endpoints when configured",
    responses={503: {"model": ErrorOut, "description": "The store or an endpoint cannot be reached."}},
)
def readyz(services: HealthDep) -> dict[str, str]:
    names = services.check_ready()  # 503 with what does not answer
    return {"status": "ready", "store": names.store, "engine": names.engine}

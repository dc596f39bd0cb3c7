from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response

from qa.api.deps import ServicesDep
from qa.embeddings import check_ready
from qa.errors import EmbeddingEndpointError, EngineError, StoreUnavailable
from qa.schemas import ErrorOut, Health
from qa.services import Services

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    response_model_exclude_none=True,
    summary="Liveness; with a key (or without QA_API_KEYS), also the store's size, engine and store",
)
def healthz(services: ServicesDep, request: Request) -> Health:
    if not getattr(request.state, "authenticated", True):
        return Health(status="ok")  # a probe needs no key, and learns nothing more without one
    return Health(
        status="ok",
        articles=services.store.count_articles(),
        chunks=services.store.count_chunks(),
        engine=services.engine.name,
        store=services.store.name,
        self_retrieval=_self_retrieval(services),
    )


def _self_retrieval(services: Services) -> float | None:
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


@router.get(
    "/readyz",
    summary="Ready: the store and the ingest queue answer, and the LLM and embeddings endpoints when configured",
    responses={503: {"model": ErrorOut, "description": "The store or an endpoint cannot be reached."}},
)
def readyz(services: ServicesDep) -> dict[str, str]:
    try:
        services.store.revision()
    except Exception as exc:  # any failure to reach the store means not ready
        raise StoreUnavailable(f"the store does not answer: {exc}") from exc
    services.check_ingest_queue()  # 503 with its own message when the queue is down
    try:
        check_ready(services.embedder)
        services.engine.check_ready()
    except (EmbeddingEndpointError, EngineError) as exc:
        raise StoreUnavailable(f"not ready: {exc}") from exc  # 503: a probe should wait, not alert on a 502
    return {"status": "ready", "store": services.store.name, "engine": services.engine.name}

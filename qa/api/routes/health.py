from __future__ import annotations

from fastapi import APIRouter

from qa.api.deps import ServicesDep
from qa.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness and store size")
def healthz(services: ServicesDep) -> Health:
    return Health(
        status="ok",
        articles=services.store.count_articles(),
        chunks=services.store.count_chunks(),
        engine=services.engine.name,
        store=services.store.name,
    )

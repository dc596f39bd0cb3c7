"""FastAPI dependencies as ``Annotated`` aliases, so routes declare what they need by type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from qa.services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

"""ASGI entry point for uvicorn: ``uvicorn qa.api.main:app`` (settings from the environment)."""

from qa.api.app import create_app

app = create_app()

"""ASGI entry point for uvicorn: ``uvicorn qa.api.main:app`` (settings from the environment)."""

from qa import logs
from qa.api.app import create_app
from qa.config import get_settings

_settings = get_settings()
logs.configure(_settings.log_format, _settings.log_level)
app = create_app(_settings)

"""The HTTP API: a thin FastAPI layer over :mod:`qa.services`."""

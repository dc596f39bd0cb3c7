"""qa: cited answers, summaries and daily briefings over news articles."""

__version__ = "0.1.0"

"""Wire shapes: what the HTTP API returns and what the CLI prints with ``--json``, one module per
resource. Kept apart from the internal models so the stored form can change without breaking
clients. Import them from here."""

from qa.schemas.answers import (
    AnswerOut,
    AskRequest,
    CitationOut,
    Day,
    Filters,
    RelatedOut,
    SearchHitOut,
    SearchResult,
    SummarizeRequest,
    SummaryOut,
)
from qa.schemas.articles import ArticleDetail, ArticleList, ArticleOut
from qa.schemas.briefings import Briefing, BriefingArticle, BriefingLink, BriefingSection
from qa.schemas.common import ErrorBody, ErrorOut, Health
from qa.schemas.ingest import (
    ArticleBatch,
    ArticleIn,
    IngestJobAccepted,
    IngestJobArticle,
    IngestJobOut,
    IngestResult,
    IngestWorkerOut,
)

__all__ = [
    "AnswerOut",
    "ArticleBatch",
    "ArticleDetail",
    "ArticleIn",
    "ArticleList",
    "ArticleOut",
    "AskRequest",
    "Briefing",
    "BriefingArticle",
    "BriefingLink",
    "BriefingSection",
    "CitationOut",
    "Day",
    "ErrorBody",
    "ErrorOut",
    "Filters",
    "Health",
    "IngestJobAccepted",
    "IngestJobArticle",
    "IngestJobOut",
    "IngestResult",
    "IngestWorkerOut",
    "RelatedOut",
    "SearchHitOut",
    "SearchResult",
    "SummarizeRequest",
    "SummaryOut",
]

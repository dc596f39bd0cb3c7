from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from qa.answering import Result
from qa.api.deps import AnswersDep
from qa.errors import QAError
from qa.schemas import AnswerOut, AskRequest, ErrorOut

router = APIRouter(tags=["answers"])


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


@router.post(
    "/ask",
    response_model=AnswerOut,
    summary="Answer a question with verified citations",
    responses={
        200: {
            "description": "The answer; with `stream: true`, Server-Sent Events instead: `delta` events "
            "({text}), one for each sentence as soon as it passes the citation checks, then one `done` event "
            "carrying the answer in this same shape. The `done` answer is the one to keep: it can still "
            "abstain (confidence below the floor) or come from the fallback engine.",
            "content": {"text/event-stream": {}},
        },
        502: {
            "model": ErrorOut,
            "description": "The LLM engine failed and no fallback could answer.",
        },
    },
)
def ask(services: AnswersDep, req: AskRequest) -> AnswerOut | StreamingResponse:
    filters = req.filters.to_search() if req.filters else None
    if not req.stream:
        return AnswerOut.of(
            services.ask(req.question, k=req.k, filters=filters, min_confidence=req.min_confidence, as_of=req.as_of)
        )

    pieces = services.stream_ask(
        req.question, k=req.k, filters=filters, min_confidence=req.min_confidence, as_of=req.as_of
    )
    # Retrieval and an engine slot are taken before the headers go, so a refusal (503 + Retry-After)
    # or bad input still gets its HTTP status instead of an in-band error event.
    first = next(pieces)

    def events() -> Iterator[str]:
        try:
            for piece in itertools.chain([first], pieces):
                if isinstance(piece, Result):
                    yield _sse("done", AnswerOut.of(piece).model_dump(mode="json"))
                else:
                    yield _sse("delta", {"text": piece})
        except QAError as exc:  # headers are gone by now: report in-band
            yield _sse("error", {"type": type(exc).__name__, "message": str(exc)})

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

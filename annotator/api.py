"""The annotation API, /api/v1/: what the annotation page uses and what scripts use
(`Authorization: Bearer <token>` from `manage.py api_token USERNAME`). OpenAPI schema at
/api/v1/openapi.json. Every route needs the annotators role; refusals change nothing."""
from datetime import datetime
from typing import Annotated, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import NinjaAPI, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth
from pydantic import Field

from annotator import services
from annotator.models import ApiToken, Judgment, SegmentAnswer
from dser.http import serve_media
from dser.roles import ANNOTATORS, has_role
from rendering.models import Comparison


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        return ApiToken.user_for(token)


api = NinjaAPI(title="DSER preference studio: annotation", version="1", urls_namespace="api",
               auth=[BearerToken(), django_auth])


def annotator(request: HttpRequest):
    if not has_role(request.auth, ANNOTATORS):
        raise HttpError(403, "only annotators may use the annotation API")
    return request.auth


class ClipOut(Schema):
    id: int
    transcript: str


class Mark(Schema):
    start: float
    end: float
    difference: float = Field(description="How much the two sequences differ there (0-1).")


class Segment(Schema):
    index: int = Field(description="The stretch's number (from 1, in time order).")
    start_s: float
    end_s: float


class NextOut(Schema):
    id: int
    video: str = Field(description="URL of the side-by-side video (range requests allowed).")
    duration_s: float
    clip: ClipOut
    marks: list[Mark] = Field(description="Stretches where the two sequences differ most, in time order.")
    segments: list[Segment] = Field(description="The same stretches as segment votes name them (empty when "
                                                "segment votes are off).")
    segment_votes: Literal["off", "optional", "required"] = Field(
        description="Whether answers about each stretch are asked (optional), or must all come with the overall answer.")
    expires_at: datetime = Field(description="Answer before this, or the slot goes to someone else.")
    warning: str = Field("", description="Said when the annotator's last checks failed (empty otherwise).")


# The answers an annotator can give: the model's choices, nothing re-listed here.
Choice = Literal[tuple(Judgment.Choice.values)]
# Every number a client sends is bounded, so an absurd one is a 422, never a database error.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
DAY_MS = 24 * 3600 * 1000


class SegmentIn(Schema):
    index: int = Field(ge=1, le=1000, description="A stretch of the comparison's `segments`.")
    choice: Literal[tuple(SegmentAnswer.Choice.values)]


SegmentsIn = Annotated[list[SegmentIn], Field(max_length=100, description=(
    "Which side follows the voice better over each marked stretch; each stretch at most once."))]


class JudgmentIn(Schema):
    comparison: Id
    choice: Choice
    watched_to_end: bool
    time_ms: int = Field(ge=0, le=DAY_MS, description="Time on the task as the page measured it (at most a day).")
    segments: SegmentsIn = []


class ChangeIn(Schema):
    choice: Choice | None = Field(None, description="The new overall answer (left out: unchanged).")
    segments: SegmentsIn = []


class SegmentOut(Schema):
    index: int
    choice: str


class JudgmentOut(Schema):
    id: int
    comparison: int
    choice: str
    segments: list[SegmentOut]
    created_at: datetime
    changeable: bool


def judgment_out(judgment: Judgment) -> dict:
    return {"id": judgment.pk, "comparison": judgment.comparison_id, "choice": judgment.choice,
            "segments": [{"index": s.index, "choice": s.choice} for s in judgment.segments.all()],
            "created_at": judgment.created_at, "changeable": services.can_change(judgment)}


def pairs(segments: list[SegmentIn]) -> list[tuple[int, str]]:
    return [(segment.index, segment.choice) for segment in segments]


def refused(error: services.Refused) -> HttpError:
    return HttpError(error.status, str(error))


BLOCKED_HEADER = "X-Not-Served-Reason"


@api.get("/comparisons/next", response={200: NextOut, 204: None}, summary="The next comparison to judge",
         description=f"204 when nothing is left for you; an annotator no longer served (qualification) gets 204 "
                     f"with the reason in the {BLOCKED_HEADER} header.")
def next_comparison(request, response: HttpResponse):
    user = annotator(request)
    try:
        lease = services.serve_next(user)
    except services.Blocked as blocked:
        response[BLOCKED_HEADER] = str(blocked)
        return Status(204, None)
    if lease is None:
        return Status(204, None)
    comparison = lease.comparison
    return Status(200, {
        "id": comparison.pk, "video": reverse("api:comparison_video", args=[comparison.pk]),
        "duration_s": comparison.duration_s or 0.0,
        "clip": {"id": comparison.clip_id, "transcript": comparison.clip.transcript},
        "marks": comparison.marks, "segments": [] if settings.SEGMENT_VOTES == "off" else comparison.segments(),
        "segment_votes": settings.SEGMENT_VOTES, "expires_at": lease.expires_at, "warning": services.warning(user)})


@api.post("/judgments", response={201: JudgmentOut}, summary="Answer a comparison leased to you")
def create_judgment(request, body: JudgmentIn):
    try:
        judgment = services.judge(annotator(request), body.comparison, body.choice, body.watched_to_end, body.time_ms,
                                  pairs(body.segments))
    except services.Refused as error:
        raise refused(error) from None
    return Status(201, judgment_out(judgment))


@api.patch("/judgments/{judgment_id}", response=JudgmentOut, summary="Change your answers (for a few minutes)",
           description="The overall answer, answers about stretches, or both; the stretches not named keep theirs.")
def change_judgment(request, judgment_id: Id, body: ChangeIn):
    if body.choice is None and not body.segments:
        raise HttpError(422, "nothing to change: give a choice, segments or both")
    try:
        return judgment_out(services.change(annotator(request), judgment_id, body.choice, pairs(body.segments)))
    except services.Refused as error:
        raise refused(error) from None


@api.get("/judgments", response=list[JudgmentOut], summary="Your latest answers")
def my_judgments(request):
    return [judgment_out(j) for j in services.history(annotator(request), limit=50)]


@api.get("/comparisons/{comparison_id}/video", url_name="comparison_video", summary="A comparison's video",
         response={200: None, 206: None})
def comparison_video(request, comparison_id: Id) -> HttpResponse:
    user = annotator(request)
    comparison = Comparison.objects.filter(pk=comparison_id).first()
    if comparison is None or not services.may_watch(user, comparison_id) or not comparison.file:
        raise HttpError(404, "no such comparison among yours")
    return serve_media(request, comparison.file.name)

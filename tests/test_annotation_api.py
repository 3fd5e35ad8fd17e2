"""The annotation API over HTTP: tokens, sessions with CSRF, roles, every refusal, videos."""
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from annotator.models import Judgment
from tests.support import annotators, make_comparisons, make_user

pytestmark = pytest.mark.django_db


def token_for(username: str) -> dict:
    out = StringIO()
    call_command("api_token", username, stdout=out)
    return {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip()}"}


def post_judgment(client, auth, **body):
    return client.post("/api/v1/judgments", body, content_type="application/json", **auth)


def test_a_script_gets_work_and_answers_with_a_token(client, pair_video, media_root):
    comparison = make_comparisons(pair_video, media_root, 1)[0]
    annotators("ann")
    auth = token_for("ann")
    response = client.get("/api/v1/comparisons/next", **auth)
    assert response.status_code == 200
    served = response.json()
    assert (served["id"], served["duration_s"], served["clip"]) == (
        comparison.pk, pytest.approx(comparison.duration_s), {"id": comparison.clip_id, "transcript": "Line number 0."})
    assert served["video"] == f"/api/v1/comparisons/{comparison.pk}/video"
    response = post_judgment(client, auth, comparison=comparison.pk, choice="right", watched_to_end=True, time_ms=1800)
    assert response.status_code == 201 and response.json()["choice"] == "right"
    assert client.get("/api/v1/comparisons/next", **auth).status_code == 204


def test_every_refusal_has_its_status_and_changes_nothing(client, pair_video, media_root):
    first, second = make_comparisons(pair_video, media_root, 2)
    annotators("ann", "bob")
    ann, bob = token_for("ann"), token_for("bob")
    served = client.get("/api/v1/comparisons/next", **ann).json()["id"]
    other = second.pk if served == first.pk else first.pk
    refusals = [
        (dict(comparison=served, choice="maybe", watched_to_end=True, time_ms=1), 422),  # unknown choice
        (dict(comparison=served, watched_to_end=True, time_ms=1), 422),  # malformed: no choice
        (dict(comparison=served, choice="left", watched_to_end=True, time_ms=-1), 422),
        (dict(comparison=other, choice="left", watched_to_end=True, time_ms=1), 403),  # not leased to ann
    ]
    for body, status in refusals:
        assert post_judgment(client, ann, **body).status_code == status, body
    assert client.post("/api/v1/judgments", "{not json", content_type="application/json", **ann).status_code in (400, 422)
    assert Judgment.objects.count() == 0
    assert post_judgment(client, ann, comparison=served, choice="left", watched_to_end=True, time_ms=1).status_code == 201
    assert post_judgment(client, ann, comparison=served, choice="tie", watched_to_end=True, time_ms=1).status_code == 409
    mine = client.get("/api/v1/judgments", **ann).json()
    assert [j["choice"] for j in mine] == ["left"] and mine[0]["changeable"]
    assert client.get("/api/v1/judgments", **bob).json() == []  # only one's own
    patch = client.patch(f"/api/v1/judgments/{mine[0]['id']}", {"choice": "tie"}, content_type="application/json", **bob)
    assert patch.status_code == 404 and Judgment.objects.get().choice == "left"


def test_the_api_needs_a_login_and_the_annotator_role(client, pair_video, media_root):
    make_comparisons(pair_video, media_root, 1)
    engineer = make_user("eng", "ml_engineers")
    assert client.get("/api/v1/comparisons/next").status_code == 401
    assert client.get("/api/v1/comparisons/next", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    client.force_login(engineer)  # signed in, but not an annotator (and no token can be had)
    assert client.get("/api/v1/comparisons/next").status_code == 403
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/comparisons/next", "/api/v1/judgments"} <= set(schema["paths"])


def test_the_page_session_needs_csrf_for_answers(pair_video, media_root):
    comparison = make_comparisons(pair_video, media_root, 1)[0]
    annotators("ann")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.get(username="ann"))
    assert browser.get("/api/v1/comparisons/next").status_code == 200
    body = {"comparison": comparison.pk, "choice": "left", "watched_to_end": True, "time_ms": 5}
    assert browser.post("/api/v1/judgments", body, content_type="application/json").status_code == 403
    token = browser.get("/annotate/").cookies["csrftoken"].value
    response = browser.post("/api/v1/judgments", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_videos_seek_and_go_only_to_whom_they_were_served(client, pair_video, media_root):
    comparison = make_comparisons(pair_video, media_root, 1)[0]
    annotators("ann", "bob")
    ann, bob = token_for("ann"), token_for("bob")
    url = f"/api/v1/comparisons/{comparison.pk}/video"
    assert client.get(url, **ann).status_code == 404  # not served to ann yet
    client.get("/api/v1/comparisons/next", **ann)
    whole = b"".join(client.get(url, **ann).streaming_content)
    assert whole == (media_root / "comparisons" / "pair.mp4").read_bytes()
    part = client.get(url, HTTP_RANGE="bytes=100-199", **ann)
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert b"".join(part.streaming_content) == whole[100:200]
    assert client.get(url, **bob).status_code == 404


def test_behind_nginx_django_checks_and_nginx_sends(client, pair_video, media_root, settings):
    settings.X_ACCEL_PREFIX = "/protected-media/"
    comparison = make_comparisons(pair_video, media_root, 1)[0]
    annotators("ann")
    ann = token_for("ann")
    client.get("/api/v1/comparisons/next", **ann)
    response = client.get(f"/api/v1/comparisons/{comparison.pk}/video", **ann)
    assert response["X-Accel-Redirect"] == "/protected-media/comparisons/pair.mp4" and response.content == b""


def test_the_annotation_page_and_dashboard_are_for_their_roles(client, pair_video, media_root):
    annotators("ann")
    admin = make_user("adm", "admins")
    client.force_login(User.objects.get(username="ann"))
    assert client.get("/annotate/").status_code == 200
    assert client.get("/annotate/dashboard/").status_code == 403
    client.force_login(admin)
    assert client.get("/annotate/").status_code == 403
    assert b"Annotation dashboard" in client.get("/annotate/dashboard/").content
    client.logout()
    assert client.get("/annotate/").status_code == 302


def test_absurd_numbers_are_a_422_never_a_500(client, pair_video, media_root):
    """What was tried: numbers no client should send (2^31 and 10^30 ms on the task, a
    comparison id past any database integer, a judgment id of 10^30). What must hold: each is
    refused with 422 and nothing is stored."""
    comparison = make_comparisons(pair_video, media_root, 1)[0]
    annotators("ann")
    auth = token_for("ann")
    client.get("/api/v1/comparisons/next", **auth)
    for body in ({"time_ms": 2**31}, {"time_ms": 10**30}, {"comparison": 10**30}, {"comparison": -1}):
        response = post_judgment(client, auth, **{"comparison": comparison.pk, "choice": "left",
                                                  "watched_to_end": True, "time_ms": 10, **body})
        assert response.status_code == 422, body
    assert client.patch(f"/api/v1/judgments/{10**30}", {"choice": "left"}, content_type="application/json",
                        **auth).status_code == 422
    assert client.get(f"/api/v1/comparisons/{10**30}/video", **auth).status_code == 422
    assert Judgment.objects.count() == 0


def test_tokens_expire_can_be_revoked_and_are_for_annotators_only(client, pair_video, media_root, settings):
    from annotator.models import ApiToken

    make_comparisons(pair_video, media_root, 1)
    annotators("ann")
    make_user("adm", "admins")
    with pytest.raises(CommandError, match="not an annotator"):
        call_command("api_token", "adm", stdout=StringIO())
    auth = token_for("ann")
    assert client.get("/api/v1/judgments", **auth).status_code == 200
    out = StringIO()
    call_command("api_token", "ann", "--revoke", stdout=out)
    assert "revoked 1 token" in out.getvalue()
    assert client.get("/api/v1/judgments", **auth).status_code == 401
    auth = token_for("ann")
    ApiToken.objects.filter(revoked_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/judgments", **auth).status_code == 401
    settings.API_TOKEN_TTL_DAYS = 1
    token = ApiToken.objects.get(pk=ApiToken.objects.create(user=User.objects.get(username="ann"), key_hash="x").pk)
    assert timedelta(hours=23) < token.expires_at - timezone.now() <= timedelta(days=1)


def test_the_page_shows_no_clip_key_that_could_spell_the_answer(client, pair_video, media_root):
    comparison = make_comparisons(pair_video, media_root, 1)[0]
    (ann,) = annotators("ann")
    client.force_login(ann)
    auth = token_for("ann")
    client.get("/api/v1/comparisons/next", **auth)
    post_judgment(client, auth, comparison=comparison.pk, choice="left", watched_to_end=True, time_ms=10)
    page = client.get("/annotate/").content.decode()
    assert f"comparison {comparison.pk}" in page and comparison.clip.key not in page

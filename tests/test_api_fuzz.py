"""A property-based fuzz of the annotation API from its own OpenAPI schema (schemathesis):
whatever a client sends that the schema allows, or nearly allows, the answer is never a 5xx.
Runs in this process against the test database, as an annotator with comparisons to judge."""
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from annotator import services
from annotator.models import ApiToken, Judgment
from tests.support import annotators, make_comparisons

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def auth(pair_video, media_root) -> dict:
    """An annotator's token and comparisons to judge. The WSGI app runs in the test's own
    transaction, so its request signals must not close the connection (as Django's test
    client arranges)."""
    make_comparisons(pair_video, media_root, 60)  # enough leases for every case that answers one
    (ann,) = annotators("fuzz")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {ApiToken.issue(ann)}"}, ann
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_the_schema_describes_gets_a_server_error(case, auth):
    """Random ids would almost never name a leased comparison or one's own judgment, so the ids
    are steered to real ones: then the other fields (time_ms, the choice, ...) reach the
    database too. (Absurd ids: tests/test_annotation_api.py.)"""
    headers, annotator = auth
    lease = services.serve_next(annotator)
    judgment = Judgment.objects.filter(annotator=annotator).first()
    if lease:
        if isinstance(case.body, dict) and "comparison" in case.body:
            case.body["comparison"] = lease.comparison_id
        if case.path_parameters and "comparison_id" in case.path_parameters:
            case.path_parameters["comparison_id"] = lease.comparison_id
    if judgment and case.path_parameters and "judgment_id" in case.path_parameters:
        case.path_parameters["judgment_id"] = judgment.pk
    response = case.call(headers=headers)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} {case.body}: {response.status_code}"

"""Judgments are append-only: nothing that deletes a clip, comparison, sequence or user takes
judgments with it, the admin cannot delete one, and a changed answer keeps the one before."""
import pytest
from django.contrib.auth.models import User
from django.db.models import ProtectedError

from annotator import services
from annotator.models import Judgment, JudgmentChange
from corpus.models import Clip
from rendering.models import Comparison, EmotionSequence

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("delete", [
    lambda s1: Clip.objects.filter(pk=s1.clip_id).delete(),
    lambda s1: Comparison.objects.filter(left=s1).delete(),
    lambda s1: EmotionSequence.objects.filter(pk=s1.pk).delete(),
    lambda s1: User.objects.filter(username="a").delete(),
], ids=["clip", "comparison", "sequence", "user"])
def test_deleting_what_a_judgment_points_at_is_refused_and_keeps_every_judgment(judged, delete):
    """What was tried: deleting a clip, a comparison, a sequence or an annotator that has
    judgments. What must hold: the delete is refused and the judgment count is unchanged."""
    s1, _, _ = judged
    before = Judgment.objects.count()
    with pytest.raises(ProtectedError):
        delete(s1)
    assert Judgment.objects.count() == before == 12


def test_the_admin_shows_judgments_but_cannot_delete_or_edit_them(judged, client, admin_user):
    client.force_login(admin_user)
    judgment = Judgment.objects.first()
    listing = client.get("/admin/annotator/judgment/")
    assert listing.status_code == 200 and b"delete_selected" not in listing.content
    assert client.post("/admin/annotator/judgment/", {"action": "delete_selected",
                                                      "_selected_action": [judgment.pk], "post": "yes"}).status_code != 302
    assert client.post(f"/admin/annotator/judgment/{judgment.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/annotator/judgment/{judgment.pk}/change/", {"choice": "tie"}).status_code == 403
    assert Judgment.objects.count() == 12 and Judgment.objects.get(pk=judgment.pk).choice == judgment.choice


def test_a_changed_answer_keeps_the_one_before(judged):
    """What was tried: an annotator changes an answer twice. What must hold: the judgment holds
    the latest (what exports read), and each earlier answer is kept with who changed it."""
    judgment = Judgment.objects.filter(annotator__username="a").first()
    first = judgment.choice
    services.change(judgment.annotator, judgment.pk, "tie")
    services.change(judgment.annotator, judgment.pk, "both_poor")
    changes = list(JudgmentChange.objects.filter(judgment=judgment).values_list("before", "after", "changed_by"))
    assert changes == [(first, "tie", judgment.annotator_id), ("tie", "both_poor", judgment.annotator_id)]
    assert Judgment.objects.get(pk=judgment.pk).choice == "both_poor"

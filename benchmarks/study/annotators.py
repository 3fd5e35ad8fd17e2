"""Simulated annotators: scripts with API tokens that judge real comparisons through
/api/v1/, as a labelling vendor's tool would. Each prefers the side whose sequence is closer
to the clip's true timeline (an oracle a human has by watching), answers the other way with
probability `error_rate` on close calls (not when the two differ by OBVIOUS_MAE or more: a
control, say, is plain to anyone watching), says "tie" (no preference) when the two are within
TIE_MAE, and a biased one answers "left" whatever it sees: the controls and agreement figures
must expose it.
"""
import json
import random
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field

TIE_MAE = 0.01  # two sequences closer to each other's error than this look the same
OBVIOUS_MAE = 0.1  # two sequences this far apart: nobody careful picks the worse one


@dataclass
class SimulatedAnnotator:
    name: str
    token: str
    error_rate: float = 0.15
    always_left: bool = False
    seed: int = 0
    created: list[int] = field(default_factory=list)  # ids of the judgments the API created
    refused: list[int] = field(default_factory=list)  # HTTP statuses of refusals

    def choose(self, left_error: float, right_error: float, rng: random.Random) -> str:
        if self.always_left:
            return "left"
        better = truer_side(left_error, right_error)
        if better == "tie" or abs(left_error - right_error) >= OBVIOUS_MAE:
            return better
        return ("right" if better == "left" else "left") if rng.random() < self.error_rate else better


def truer_side(left_error: float, right_error: float) -> str:
    """The side closer to the truth, or "tie" when the two look the same."""
    if abs(left_error - right_error) < TIE_MAE:
        return "tie"
    return "left" if left_error < right_error else "right"


def call(base_url: str, method: str, path: str, token: str, body: dict | None = None,
         headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(base_url + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def annotate(annotator: SimulatedAnnotator, base_url: str, errors: dict[int, tuple[float, float]]) -> None:
    """Ask for the next comparison, fetch the start of its video, answer; until none is left.
    `errors`: comparison id -> the MAE of its left and right sequence to the truth."""
    rng = random.Random(f"{annotator.name}/{annotator.seed}")
    while True:
        status, payload = call(base_url, "GET", "/api/v1/comparisons/next", annotator.token)
        if status == 204:
            return
        if status != 200:
            raise RuntimeError(f"{annotator.name}: next comparison answered {status}: {payload[:200]!r}")
        served = json.loads(payload)
        video, _ = call(base_url, "GET", served["video"], annotator.token, headers={"Range": "bytes=0-1023"})
        if video != 206:
            raise RuntimeError(f"{annotator.name}: the video of comparison {served['id']} answered {video}")
        choice = annotator.choose(*errors[served["id"]], rng)
        status, payload = call(base_url, "POST", "/api/v1/judgments", annotator.token, {
            "comparison": served["id"], "choice": choice, "watched_to_end": True,
            "time_ms": int(served["duration_s"] * 1000)})
        if status == 201:
            annotator.created.append(json.loads(payload)["id"])
        else:
            annotator.refused.append(status)


def annotate_all(annotators: list[SimulatedAnnotator], base_url: str, errors: dict) -> None:
    """All annotators at once, each in its own thread, as a team works."""
    failures = []

    def run(annotator: SimulatedAnnotator) -> None:
        try:
            annotate(annotator, base_url, errors)
        except Exception as error:  # reported below, after the others finish
            failures.append(error)

    threads = [threading.Thread(target=run, args=(a,)) for a in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]

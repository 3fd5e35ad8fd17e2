"""When a comparison's votes are decisive (adaptive overlap: votes go where they decide)."""
from collections import Counter
from collections.abc import Iterable


def is_decisive(answers: Iterable[str], lead: int) -> bool:
    """Whether the most given answer leads the next by `lead` votes. Every answer counts,
    "no preference" and "both poor" included: two agreeing ties settle a comparison too."""
    counts = sorted(Counter(answers).values(), reverse=True) + [0, 0]
    return counts[0] - counts[1] >= lead


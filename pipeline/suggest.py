"""Which passages to label next: uncertain for the current model and unlike each other.

Uncertainty comes from the predictions already in the run (how close each element score is
to its threshold, and how spread the modality and bearer distributions are). Diversity is
maximal marginal relevance over MiniLM sentence embeddings, so fifty suggestions are not
fifty copies of one boilerplate clause. Labelled passages, the seed check set and passages
that carry no content (titles, footnotes, closing formulas, very short lines, contents lines
and table cells) are left out.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .cite import CONTENTS_LEADERS
from .matrix import RunData, check_element
from .records import Passage, Prediction
from .text import sha256_text

STRATEGIES = ("uncertainty", "diversity", "random")
SKIP_KINDS = frozenset({"title", "footnote", "closing"})
MIN_CHARS = 60
# a figure's or table's caption alone ("Figure 5-4. Paired Firewalls …"): no duty in it
CAPTION = re.compile(r"(?:Figure|Fig\.|Table|Chart|Diagram)\s+[\dA-Z]+(?:[-.]\d+)*\s*[:.–-]\s", re.IGNORECASE)
CAPTION_CHARS = 160
MIN_LETTER_SHARE = 0.7
POOL_FACTOR = 8  # MMR looks at the n × 8 most uncertain passages
MMR_LAMBDA = 0.6  # weight of uncertainty against novelty
DOC_CAP_SHARE, DOC_CAP_MIN = 0.1, 3  # one document gives at most 10% of a batch (at least 3)


@dataclass(frozen=True)
class Suggestion:
    passage: Passage
    uncertainty: float
    reason: str


def uncertainty(prediction: Prediction, thresholds: dict[str, float]) -> tuple[float, str]:
    """0 (sure) … 1 (undecided), and the label that makes it so."""
    closest, nearest = 0.0, ""
    for element, score in prediction.scores.items():
        threshold = thresholds.get(element, 0.5)
        if threshold > 1:  # an element the model never tags says nothing about this passage
            continue
        width = max(threshold, 1 - threshold)
        value = 1 - abs(score - threshold) / width
        if value > closest:
            closest, nearest = value, element
    heads = [_entropy(prediction.modality_scores), _entropy(prediction.bearer_scores)]
    score = 0.6 * closest + 0.2 * heads[0] + 0.2 * heads[1]
    reason = nearest if closest >= max(heads) else ("modality" if heads[0] >= heads[1] else "bearer")
    return round(score, 4), reason


def _entropy(distribution: dict[str, float]) -> float:
    p = np.clip(np.array(list(distribution.values()), dtype=float), 1e-9, 1)
    p = p / p.sum()
    return float(-(p * np.log(p)).sum() / math.log(len(p))) if len(p) > 1 else 0.0


def has_content(text: str) -> bool:
    """Long enough prose to be a passage, rather than a contents line, a caption or a table cell."""
    # contents lines and table cells or number runs: annotators mark them fragments, so showing
    # them wastes a label (on 3,065 labelled texts this test dropped 26 of 501 fragments and 3
    # of 2,564 passages: the other fragments need reading)
    return (len(text) >= MIN_CHARS and not CONTENTS_LEADERS.search(text)
            and not (len(text) <= CAPTION_CHARS and CAPTION.match(text))
            and sum(c.isalpha() for c in text) >= MIN_LETTER_SHARE * len(text))


def candidates(run: RunData, labelled: Iterable[str]) -> list[Passage]:
    """Passages worth an annotator's time: unlabelled (by text hash), with content."""
    done = set(labelled)
    seen: set[str] = set()
    out = []
    for passage in run.passages:
        digest = sha256_text(passage.text)
        if passage.kind in SKIP_KINDS or not has_content(passage.text) or digest in done or digest in seen:
            continue
        seen.add(digest)
        out.append(passage)
    return out


def suggest(run: RunData, thresholds: dict[str, float], labelled: Iterable[str], n: int = 50,
            strategy: str = "uncertainty", seed: int = 13, element: str | None = None) -> list[Suggestion]:
    """`n` passages to label next, best first; with `element`, only passages that may hold it
    (`element_leads`), likeliest first."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}: choose from {', '.join(STRATEGIES)}")
    pool = candidates(run, labelled)
    if element is not None:
        scored = element_leads(run, pool, element, thresholds.get(element, 0.5))
    else:
        scored = [(p, *uncertainty(run.predictions[p.id], thresholds)) for p in pool]
    if strategy == "random":
        picked = random.Random(seed).sample(scored, min(n, len(scored)))
        return [Suggestion(p, u, "random") for p, u, _ in picked]
    if strategy == "uncertainty":
        scored.sort(key=lambda item: item[1], reverse=True)
        scored = scored[: n * POOL_FACTOR]
        weight = MMR_LAMBDA
    else:  # diversity: novelty only, over a seeded sample of the whole pool
        scored = random.Random(seed).sample(scored, min(n * POOL_FACTOR, len(scored)))
        weight = 0.0
    if len(scored) <= n:
        return [Suggestion(p, u, r) for p, u, r in scored]
    vectors = embed([p.text for p, _, _ in scored])
    docs = [p.doc_id for p, _, _ in scored]
    order = mmr(np.array([u for _, u, _ in scored]), vectors, n, weight, docs, max(DOC_CAP_MIN, math.ceil(n * DOC_CAP_SHARE)))
    return [Suggestion(scored[i][0], scored[i][1], scored[i][2]) for i in order]


def element_leads(run: RunData, pool: list[Passage], element: str,
                  threshold: float) -> list[tuple[Passage, float, str]]:
    """(passage, likelihood, reason) for the passages of `pool` in which one of the element's
    scheme cues occurs, or which the model scores at least half the element's threshold:
    the way to find more of a rare element, whose positives the uncertainty ranking seldom
    reaches. The likelihood ranks a cue's passages first (0.5 to 1), each group by the
    element's score."""
    from .models.rules import CueIndex

    check_element(element)
    cues = CueIndex()
    leads = []
    for passage in pool:
        score = run.predictions[passage.id].scores.get(element, 0.0)
        fired = [cue for e, cue in cues.fired(passage.text) if e == element]
        if fired or (threshold <= 1 and score >= threshold / 2):
            reason = f"cue: {fired[0]}" if fired else f"{element} {score:.2f}"
            leads.append((passage, round((1 + score) / 2 if fired else score / 2, 4), reason))
    return leads


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length MiniLM sentence embeddings (the encoder tier's embedder)."""
    from .models.encoder import get_embedder

    vectors = get_embedder()(texts)
    return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9, None)


def mmr(relevance: np.ndarray, vectors: np.ndarray, n: int, weight: float, groups: list[str] | None = None,
        cap: int | None = None) -> list[int]:
    """Maximal marginal relevance: each pick maximises weight × relevance − (1 − weight) ×
    its highest cosine similarity to the picks so far; with `groups`, no group (document)
    gives more than `cap` picks while others remain."""
    picked = [int(np.argmax(relevance))]
    closest = vectors @ vectors[picked[0]]
    taken: dict[str, int] = {}
    while len(picked) < min(n, len(relevance)):
        if groups is not None:
            taken[groups[picked[-1]]] = taken.get(groups[picked[-1]], 0) + 1
        value = weight * relevance - (1 - weight) * closest
        value[picked] = -np.inf
        if groups is not None and cap is not None:
            full = np.array([taken.get(g, 0) >= cap for g in groups])
            if not np.all(full | np.isinf(value)):
                value[full] = -np.inf
        best = int(np.argmax(value))
        picked.append(best)
        closest = np.maximum(closest, vectors @ vectors[best])
    return picked

"""What a classifier reads for a passage: a word naming the part of its document, then its text.

A recital explains and binds no one (labels.md: modality none), while much the same words in
an article's paragraph impose a duty; an annex lists. The passage id names the part, since
`segment.py` builds ids from the structural path (`recital12`, `art14.1`, `annex.p1-9`), so
every tier learns it from one marker word, in training and in classifying alike. Rows whose
ids ddlens did not build (`ddlens classify rows.jsonl`, the seed set) are read bare: their
scores come from the text alone.

Measured, grouped 5-fold CV on 5,650 passages, linear tier, elements / modality / bearer
macro-F1: text alone 0.495 / 0.667 / 0.602; with the part 0.495 / 0.683 / 0.612 (and
0.504 / 0.686 / 0.620 once the rules tier, whose cues linear reads, also took a recital as
binding no one). The document's kind (law or strategy) as a marker added nothing
(0.496 / 0.666 / 0.598 alone), and neither did finer parts (sections, §, numbered parts:
0.496 / 0.682 / 0.604) or a second marker for list points (0.495 / 0.684 / 0.607).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PARTS = ("recital", "annex", "article", "other")
_PART = re.compile(r"recital|annex|art(?=\d)")
_MARKER = re.compile(rf"part_({'|'.join(PARTS)}) ")


def part_of(passage_id: str) -> str | None:
    """The part a ddlens passage id (`doc_id:path`) names, one of PARTS; None for an id of
    another making (a user's JSON Lines rows, the shared seed set), which names no part."""
    _, colon, path = passage_id.partition(":")
    if not colon:
        return None
    match = _PART.match(path)
    if not match:
        return "other"
    return "article" if match.group() == "art" else match.group()


def model_text(passage_id: str, text: str) -> str:
    """The passage's text behind its part's marker word (`part_recital`, …); the bare text
    where the id names no part, rather than a guess."""
    part = part_of(passage_id)
    return f"part_{part} {text}" if part else text


def model_texts(ids: Sequence[str], texts: Sequence[str]) -> list[str]:
    return [model_text(i, t) for i, t in zip(ids, texts, strict=True)]


def unframe(text: str) -> tuple[str | None, str]:
    """(part, the passage's own text) from a text `model_text` framed; (None, text) from any
    other, so patterns anchored at a passage's start still find it."""
    match = _MARKER.match(text)
    return (match.group(1), text[match.end():]) if match else (None, text)

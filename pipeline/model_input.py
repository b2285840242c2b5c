"""What a classifier reads for a passage: a word naming the part of its document, the title of
the article or section it sits under, then its text.

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

The title says what an article is for ("Reporting obligations", "Cybersecurity risk-management
measures") where its paragraphs often do not. Grouped 5-fold CV on the 5,598 gold passages of
2026-11-27 (4,876 with a title), linear tier, elements macro-F1 / micro-F1 / modality /
bearer macro-F1, without the title → with it: unshuffled folds 0.495 / 0.645 / 0.697 / 0.614
→ 0.510 / 0.649 / 0.699 / 0.620; folds shuffled with seed 14 0.483 / 0.637 / 0.683 / 0.602 →
0.481 / 0.636 / 0.687 / 0.610. A first version (the title before the marker, the rules' cues
reading it too) gave the same on those folds and on a third assignment (seed 15) 0.499 /
0.640 / 0.691 / 0.629 → 0.504 / 0.641 / 0.695 / 0.631. So: modality and bearer gain a little
on every assignment, elements on two of three (the rare ones swing). The title
travels with a label (`Annotation.heading`) and with a run's passages (`Passage.heading`);
rows without one are read without one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import Annotation

PARTS = ("recital", "annex", "article", "other")
_PART = re.compile(r"recital|annex|art(?=\d)")
_MARKER = re.compile(rf"(?:part_({'|'.join(PARTS)}) )?(?:⟦[^⟧]*⟧ )?")
MAX_TITLE = 160  # longer "headings" are paragraphs segmentation could not tell from a title


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


def title(heading: object, text: str) -> str | None:
    """The heading as a title worth reading: None where there is none, where it is the passage
    itself, or where it runs longer than a title does."""
    if not isinstance(heading, str):  # a user's row may carry anything
        return None
    heading = " ".join(heading.replace("⟦", "").replace("⟧", "").split())
    return heading if heading and len(heading) <= MAX_TITLE and heading != " ".join(text.split()) else None


def model_text(passage_id: str, text: str, heading: str | None = None) -> str:
    """The passage's text behind its part's marker word (`part_recital`, …) and its title in
    ⟦brackets⟧; the bare text where the id names no part and no title is given, rather than
    a guess."""
    part = part_of(passage_id)
    name = title(heading, text)
    return (f"part_{part} " if part else "") + (f"⟦{name}⟧ " if name else "") + text


def model_texts(ids: Sequence[str], texts: Sequence[str], headings: Sequence[str | None] | None = None) -> list[str]:
    headings = headings if headings is not None else [None] * len(ids)
    return [model_text(i, t, h) for i, t, h in zip(ids, texts, headings, strict=True)]


def record_text(record: Annotation) -> str:
    """What a model reads for a labelled record."""
    return model_text(record.id, record.text, record.heading)


def unframe(text: str) -> tuple[str | None, str]:
    """(part, the passage's own text, without its title) from a text `model_text` framed;
    (None, text) from any other, so patterns anchored at a passage's start still find it."""
    match = _MARKER.match(text)
    return match.group(1), text[match.end():]

"""Merge several annotators' labels: agreed labels pass, disagreements go to a review file
that an adjudicator edits, marks reviewed and imports back (`ddlens annotate import REVIEW --annotator
adjudicated`); an adjudicated label then wins in training (annotations.gold_labels)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .annotations import ADJUDICATOR, label_key, latest_adjudication, merged_name
from .records import Annotation


def adjudicate(records: Sequence[Annotation]) -> tuple[list[Annotation], list[dict]]:
    """(merged records, review rows). A passage labelled once passes as it is; one whose
    annotators agree passes once, named for all of them; an existing adjudication wins."""
    by_text: dict[str, list[Annotation]] = {}
    for record in records:
        by_text.setdefault(record.text_sha256, []).append(record)
    merged: list[Annotation] = []
    review: list[dict] = []
    for group in by_text.values():
        adjudicated = latest_adjudication(group)
        latest = {r.annotator: r for r in group if r.annotator != ADJUDICATOR}  # an annotator's last word
        if adjudicated is not None:
            merged.append(adjudicated)
        elif len({label_key(r) for r in latest.values()}) == 1:
            first = next(iter(latest.values()))
            name = merged_name(latest) if len(latest) > 1 else first.annotator
            merged.append(first.model_copy(update={"annotator": name}))
        else:
            review.append(_review_row(list(latest.values())))
    return sorted(merged, key=lambda r: r.id), sorted(review, key=lambda r: r["id"])


def _review_row(records: list[Annotation]) -> dict:
    """A proposal, every annotator's labels beside it, and `reviewed: false`: an import takes
    the row only once the adjudicator has set it true, so a proposal nobody read never
    becomes gold. The proposal is one reader's whole reading where a majority gave it or
    only two read (then the first by name), else each head's majority: mixing two readers'
    heads would propose what neither said (a fragment's none/none beside real elements)."""
    records = sorted(records, key=lambda r: r.annotator)
    n = len(records)
    first = records[0]
    readings = Counter(label_key(r) for r in records)
    whole = next((r for r in records if readings[label_key(r)] * 2 > n), first if n <= 2 else None)
    if whole is not None:
        elements, modality, bearer, fragment = sorted(whole.elements), whole.modality, whole.bearer, whole.fragment
    else:
        votes = Counter(e for r in records for e in r.elements)
        elements = sorted(e for e, k in votes.items() if k * 2 > n)
        modality = Counter(r.modality for r in records).most_common(1)[0][0]
        bearer = Counter(r.bearer for r in records).most_common(1)[0][0]
        if (modality == "none") != (bearer == "none"):  # keep the proposal valid: follow the modality
            bearer = "none" if modality == "none" else next(r.bearer for r in records if r.bearer != "none")
        fragment = sum(r.fragment for r in records) * 2 > n
    return {
        "id": first.id, "doc_id": first.doc_id, "jurisdiction": first.jurisdiction, "text": first.text,
        "text_sha256": first.text_sha256, **({"context": first.context} if first.context else {}),
        **({"heading": first.heading} if first.heading else {}),
        "elements": elements, "modality": modality, "bearer": bearer,
        "fragment": fragment, "annotator": ADJUDICATOR, "note": "", "reviewed": False,
        "candidates": {r.annotator: {"elements": r.elements, "modality": r.modality, "bearer": r.bearer,
                                     "fragment": r.fragment, "note": r.note} for r in records},
    }

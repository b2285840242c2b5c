"""Pure text helpers shared by the ingest and segment stages."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
_DIGITS = re.compile(r"\d+")
_ROMAN = r"(?=[ivxlcdm]+\b)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})"
_PAGE_NUMBER = re.compile(
    rf"^[\s\-–—|.•\"'“”]*(page|p\.|seite|strana)?\s*(\d{{1,4}}|{_ROMAN})"
    rf"(\s*(of|/|de|z)\s*\d{{1,4}})?[\s\-–—|.•\"'“”]*$",
    re.IGNORECASE,
)
# Letter-spaced display type: "I N T R O D U C T I O N" (3+ single letters one space apart).
_LETTER_SPACED = re.compile(r"(?<!\S)(?:[^\W\d_] ){2,}[^\W\d_](?!\S)")
_SPACED_RUN = re.compile(r"(?<!\S)(?:[^\W\d_] )+[^\W\d_](?!\S)")
_HYPHEN_END = re.compile(r"(\w)[-\u00ad\u2010]$")
_SOFT_HYPHEN = "\u00ad"
_COMPOUND = re.compile(r"\w+(?:-\w+)+")
_CID = re.compile(r"\(cid:\d+\)")


def sha256_file(path: Path) -> str:
    """Hash a file in chunks so large PDFs never sit in memory twice."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize_space(text: str) -> str:
    """Collapse runs of spaces (incl. no-break and ideographic) and strip the ends."""
    return _WS.sub(" ", text).strip()


_UNFOLD = str.maketrans({"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "\r": None})


def normalize_unicode(text: str) -> str:
    """NFC, ligatures unfolded (ﬁ → fi) and soft hyphens dropped; PDFs carry all three."""
    text = unicodedata.normalize("NFC", text)
    return text.translate(_UNFOLD)


_EDGE_NUMBER = re.compile(rf"^(?:{_ROMAN}|\d+)\s+|\s+(?:{_ROMAN}|\d+)$", re.IGNORECASE)
_TOC_LINE = re.compile(r"(?:\.\s?){5,}\s*(?:\d+|[ivxlc]+)\s*$|\.{5,}", re.IGNORECASE)


def fold_repeating(line: str) -> str:
    """The shape of a line for running-header detection: case, digits and a page number
    (arabic or roman) at either end folded away."""
    folded = normalize_space(line).lower()
    folded = _EDGE_NUMBER.sub("", folded)
    return _DIGITS.sub("#", folded)


def is_toc_line(line: str) -> bool:
    """A table-of-contents entry: a dot leader ("Introduction ........ 4")."""
    return bool(_TOC_LINE.search(line))


def is_page_number(line: str) -> bool:
    """True for a bare page number ("12", "- 12 -", "Page 3 of 40", "xiv")."""
    stripped = line.strip()
    return bool(stripped) and len(stripped) <= 20 and bool(_PAGE_NUMBER.match(stripped))


def is_decoration(line: str) -> bool:
    """True for rows of glyphs with no letter or digit (dots, rules, bullets, ornaments)."""
    stripped = line.strip()
    return bool(stripped) and not any(ch.isalnum() for ch in stripped)


def rejoin_letter_spaced(line: str) -> str:
    """"I N T R O D U C T I O N" → "INTRODUCTION"; words stay split at wider gaps.

    Where the line spaces its words with two or more spaces, each letter-spaced chunk is
    rejoined ("T O" → "TO"); elsewhere a run needs three letters, so "a b" in prose stays.
    """
    if "  " in line:
        chunks = re.split(r" {2,}", line)
        return " ".join(_SPACED_RUN.sub(lambda m: m.group(0).replace(" ", ""), c) for c in chunks)
    return _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), line)


def cid_ratio(text: str) -> float:
    """Share of characters taken by `(cid:N)` codes: glyphs that have no Unicode map."""
    if not text:
        return 0.0
    return sum(len(m) for m in _CID.findall(text)) / len(text)


def join_lines(lines: Iterable[str], vocabulary: set[str] | None = None) -> str:
    """Join the lines of one paragraph, rejoining words hyphenated across line ends.

    A trailing hyphen is dropped when the next line starts in lower case, unless the
    hyphenated compound is attested elsewhere in the document (`vocabulary` holds lower-case
    words seen there), so "cyber-\\nsecurity" → "cybersecurity" but "risk-\\nbased" stays
    "risk-based" when the document writes "risk-based" elsewhere.
    """
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if not out:
            out = line
            continue
        match = _HYPHEN_END.search(out)
        if match and match.group(1).isdigit() and line[0].isdigit():  # "113-" + "274"
            out = out + line
        elif match and line[0].islower():
            head = out[: match.end(1)]
            tail_word = re.match(r"[\w-]+", line)
            left_word = re.search(r"[\w-]+$", head)
            if vocabulary is not None and tail_word and left_word:
                compound = f"{left_word.group(0)}-{tail_word.group(0)}".lower()
                if compound in vocabulary:
                    out = f"{head}-{line}"
                    continue
            out = head + line
        else:
            out = f"{out} {line}"
    return normalize_space(out.replace(_SOFT_HYPHEN, ""))


_LINE_HYPHEN = re.compile(r"([\w-]*\w)\ufffe\s*(\w[\w-]*)")


def resolve_line_hyphens(text: str, vocabulary: set[str]) -> str:
    """Resolve PDFium's U+FFFE marks (a hyphen at a line end that PDFium joined): keep the
    hyphen when the compound is written elsewhere in the document, else rejoin the word."""

    def repl(match: re.Match[str]) -> str:
        left, right = match.group(1), match.group(2)
        keep = f"{left}-{right}".lower() in vocabulary or not right[:1].islower()
        return f"{left}-{right}" if keep else left + right

    return _LINE_HYPHEN.sub(repl, text).replace("\ufffe", "-")


def word_vocabulary(lines: Iterable[str]) -> set[str]:
    """Lower-case hyphenated compounds written inside lines (not split at a line end)."""
    vocab: set[str] = set()
    for token in "\n".join(lines).split():
        if "-" in token[1:-1]:
            vocab.update(w.lower() for w in _COMPOUND.findall(token))
    return vocab


_WORDISH = re.compile(r"[^\W\d_]{2}")


def word_share(text: str, max_tokens: int = 5000) -> float:
    """Share of tokens that look like words (3+ characters, starting with two letters).

    Glyphs mapped to the wrong code points ("( ) * + , - +") or `(cid:N)` codes give a
    share near zero in any script; real prose, in any language, well above a third. Long
    texts are judged on an evenly spread sample of tokens.
    """
    tokens = text.split()
    if not tokens:
        return 0.0
    if len(tokens) > max_tokens:
        tokens = tokens[:: len(tokens) // max_tokens]
    wordy = sum(1 for t in tokens if len(t) >= 3 and _WORDISH.match(t))
    # CJK text has no spaces: count long runs of letters as words
    return max(wordy / len(tokens), 1.0 if any(len(t) > 30 and t.isalpha() for t in tokens) else 0.0)

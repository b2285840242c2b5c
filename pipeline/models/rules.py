"""`rules`: transparent spaCy Matcher patterns over lower-cased tokens; no training.

Each element, modality and bearer cue is a named token pattern (one regex per token). An
element's score is 1 − Π(1 − w) over the distinct patterns that fired, so two independent
cues outweigh one; every prediction can list the patterns behind it. The cue lists follow
the "typical cues" and hard cases of labels.md (v1.4).
"""

from __future__ import annotations

import re
from functools import cached_property

import numpy as np

from ..model_input import unframe
from .base import Classifier, Probabilities, Targets

# element → {pattern name: space-separated token regexes}
ELEMENT_CUES: dict[str, dict[str, str]] = {
    # "a b||c d": alternative patterns; inside a pattern, one regex per token (spaCy splits
    # hyphenated words into "word - word")
    "good_faith": {
        "good faith": "good faith", "sincere cooperation": "sincere|loyal cooperation",
        "honour commitments": "honou?r its|their|the commitments?",
    },
    "no_harm": {
        "cross-border": "cross - border||cross border||transboundary", "other member states": "other member states?",
        "several member states": "two|several|more member states", "spill-over": "spill - over||spillover||spill",
        "third parties": "third part(y|ies)", "responsible state behaviour": "responsible state behaviou?r||responsible behaviou?r",
        "other states": "other states|countries|nations", "international peace": "international peace|stability",
        "disruptive effect": "disruptive effects?",
    },
    "territoriality": {
        "established in": "established in|on", "main establishment": "main establishment",
        "jurisdiction": "jurisdiction", "territory": "territor(y|ies|ial)",
        "representative": "designate a representative||representatives?", "not established": "not established",
        "situated in": "situated|located in|within",
    },
    "risk_assessment": {
        "risk assessment": "risks? assessments?|analys[ie]s||risk - based||all - hazards?",
        "assess risks": "assess(es|ed|ing)?|identif(y|ies|ication|ying)",
        "threat assessment": "threat assessments?|analys[ie]s|landscape",
        "impact assessment": "impact assessments?", "vulnerabilit": "vulnerabilit(y|ies)",
        "risk management": "risk - management||risk management",
    },
    "necessary_measures": {
        "appropriate measures": "appropriate|necessary|proportionate measures?||appropriate|necessary and proportionate"
                                "||appropriate|necessary technical|organisational|organizational measures?",
        "competent authority": "competent authorit(y|ies)", "supervise": "supervis(e|ion|ory)",
        "inspect audit": "inspect(ion|ions)?|audits?||on - site", "penalties": "penalt(y|ies)|fines?|sanctions?",
        "enforcement": "enforc(e|ement)", "designate authority": "designate|establish||set up",
        "csirt": "csirts?|cert||computer security incident response",
    },
    "state_of_the_art": {
        "state of the art": "state of the art||state - of - the - art", "standards": "standards?|standardi[sz]ation",
        "certification": "certif(ication|icates?|ied)", "best practice": "best|good practices?",
        "proportionate to risk": "proportionate|commensurate to|with the risks?",
        "cost of implementation": "cost of implementation", "guidelines": "guidelines|guidance|frameworks?",
    },
    "information_exchange": {
        "notify": "notif(y|ies|ied|ication|ications)", "report incidents": "report(s|ed|ing)?",
        "share information": "share|sharing|exchange|exchanging information||exchange|sharing of information",
        "inform": "inform(s|ed)?", "early warning": "early warnings?||alerts?",
        "cooperation group": "cooperation group||csirts network", "disclose": "disclos(e|ure)",
    },
    "non_discrimination": {
        "non-discriminatory": "non - discriminatory|discrimination||nondiscriminatory||without discrimination",
        "objective criteria": "objective , transparent||objective and transparent||objective criteria",
        "equal treatment": "equal treatment||equally",
        "irrespective of": "irrespective of||regardless of their nationality||regardless of nationality",
    },
    "continuous_obligation": {
        "regularly": "regular(ly)?|periodic(ally)?|continuous(ly)?|ongoing",
        "at least every": "at least every|once||annual(ly)?||every two|three|four|five|\\d+ years?",
        "review": "review(ed|s)?|reassess||re - assess", "update": "updat(e|ed|ing)||keep up to date",
        "monitor": "monitor(ing|ed)?", "testing": "test(ing|ed)?|exercises?",
    },
}
# weights: a single cue rarely suffices (labels.md: cues alone are not enough)
WEAK_WEIGHT, STRONG_WEIGHT = 0.35, 0.6  # one cue's share of an element's score (_combine)
STRONG = {"good faith", "non-discriminatory", "main establishment", "state of the art", "risk assessment",
          "notify", "cross-border", "competent authority", "at least every", "established in", "share information",
          "appropriate measures", "penalties", "certification", "jurisdiction", "equal treatment", "irrespective of"}

OBLIGATION = "shall|must|will|should|undertakes?|required|obliged|commit(s|ted)?|need to|aims?|seeks?"
CONDUCT_CUES = {
    "appropriate measures": "appropriate|necessary|all (appropriate|necessary|reasonable)",
    "endeavour": "endeavou?r|strive|seek|best efforts?|work (to|towards)|aim|promote|strengthen|encourage|enhance|improve|support|facilitate|foster",
    "take measures": "take|adopt measures|steps",
}
RESULT_CUES = {
    "designate": "designate|establish|set up|create|adopt|submit|publish|notify|appoint|lay down|provide|issue|send",
    "deadline": "within|by|no later than|without undue delay",
}
STATE_CUES = ("member states?|states?|government|ministr(y|ies)|minister|authorit(y|ies)|commission|enisa|"
              "agency|csirts?|cert|regulators?|council|union|public (bodies|administration|sector)|we|federal|office|committee|board|secretariat")
OPERATOR_CUES = ("entit(y|ies)|operators?|providers?|manufacturers?|importers?|distributors?|companies|company|"
                 "organi[sz]ations?|owners?|businesses|undertakings|notified bod(y|ies)|licensees?")
OTHER_CUES = "persons?|individuals?|citizens|users|everyone|whoever|any person"


def _tokens(spec: str) -> list[dict]:
    """"appropriate|necessary measures?" → one Matcher token per space-separated regex."""
    return [{"LOWER": {"REGEX": f"^(?:{part})$"}} for part in spec.split(" ") if part]


class RulesClassifier(Classifier):
    """Scheme cue patterns; fit() learns nothing."""

    name = "rules"
    registry_name = "ddlens.rules.v1"

    def __init__(self, weak_weight: float = WEAK_WEIGHT, strong_weight: float = STRONG_WEIGHT) -> None:
        self.weak_weight = weak_weight
        self.strong_weight = strong_weight

    @cached_property
    def _nlp(self):
        import spacy
        from spacy.matcher import Matcher

        nlp = spacy.blank("en")
        matcher = Matcher(nlp.vocab)
        for element, cues in ELEMENT_CUES.items():
            for cue, spec in cues.items():
                matcher.add(f"{element}::{cue}", [_tokens(variant) for variant in _variants(spec)])
        return nlp, matcher

    def _fit(self, texts: list[str], targets: Targets, groups: list[str] | None) -> None:
        return None  # transparent patterns: nothing to learn

    def hits(self, text: str) -> dict[str, list[str]]:
        """Element → names of the patterns that fired, in text order: in the passage's own
        words, not its title, so that every hit an analyst checks is in the passage."""
        nlp, matcher = self._nlp
        doc = nlp.make_doc(unframe(text)[1][:20000])
        found: dict[str, list[str]] = {}
        for match_id, _, _ in matcher(doc):
            element, cue = nlp.vocab.strings[match_id].split("::")
            if cue not in found.setdefault(element, []):
                found[element].append(cue)
        return found

    def _predict_proba(self, texts: list[str]) -> Probabilities:
        elements = np.zeros((len(texts), len(self.classes_)))
        modality = np.zeros((len(texts), 3))
        bearer = np.zeros((len(texts), 4))
        for i, text in enumerate(texts):
            found = self.hits(text)
            for j, element in enumerate(self.classes_):
                elements[i, j] = _combine(found.get(element, []), self.weak_weight, self.strong_weight)
            modality[i], bearer[i] = _heads(text)
        return Probabilities(elements, modality, bearer)

    def _explain(self, texts: list[str], top: int) -> list[dict[str, list[str]]]:
        return [{e: cues[:top] for e, cues in self.hits(text).items()} for text in texts]


class CueIndex:
    """The cue table as lower-case plain-text regexes (token regexes joined by non-word
    runs): the fast path the learned tiers use for their rule features.

    Each cue's regex runs only on texts holding a word its first token matches; which cues a
    word can start is memoised, so a text costs one tokenisation plus a few searches (about
    10× fewer regex calls than trying every cue, with the same matches)."""

    _WORD = re.compile(r"[^\W_]+")

    def __init__(self) -> None:
        self.elements = list(ELEMENT_CUES)
        self.patterns: dict[tuple[str, str], re.Pattern[str]] = {}
        self._first: dict[tuple[str, str], list[re.Pattern[str]]] = {}
        for element, cues in ELEMENT_CUES.items():
            for cue, spec in cues.items():
                variants = [[p for p in v.split(" ") if p not in ("", "-", ",")] for v in _variants(spec)]
                self.patterns[element, cue] = re.compile(
                    "|".join(r"\b" + r"[\W_]+".join(f"(?:{p})" for p in parts) + r"\b" for parts in variants))
                self._first[element, cue] = [re.compile(f"(?:{parts[0]})") for parts in variants]
        self._starts: dict[str, frozenset[tuple[str, str]]] = {}  # words that start some cue
        self._seen: set[str] = set()  # every word looked at so far
        self._any_first = re.compile("|".join(f"(?:{f.pattern})" for firsts in self._first.values() for f in firsts))
        self._rank = {key: i for i, key in enumerate(self.patterns)}  # the cue table's order

    def _learn(self, words: set[str]) -> None:
        """Memoise which cues each new word can start (most words start none)."""
        for word in words:
            if self._any_first.fullmatch(word):
                self._starts[word] = frozenset(
                    key for key, firsts in self._first.items() if any(f.fullmatch(word) for f in firsts))
        self._seen |= words

    def fired(self, text: str) -> list[tuple[str, str]]:
        """(element, cue) pairs whose pattern occurs in the text, in the order they first
        match (then the cue table's): the words are a set, whose order changes from one
        process to the next, and explanations list the cues in this order."""
        return list(self.matches(text))

    def matches(self, text: str) -> dict[tuple[str, str], str]:
        """(element, cue) → the words its pattern first matched, in `fired`'s order: a cue's
        name alone can mislead ("at least every" fires on "annual turnover")."""
        low = text.lower()
        words = set(self._WORD.findall(low))
        if not words <= self._seen:
            self._learn(words - self._seen)
        # a cue can only match from the first place one of its starting words occurs
        first: dict[tuple[str, str], int] = {}
        for word in words & self._starts.keys():
            at = low.find(word)
            for key in self._starts[word]:
                if at < first.get(key, at + 1):
                    first[key] = at
        found = ((match.start(), self._rank[key], key, text[match.start():match.end()]) for key, at in first.items()
                 if (match := self.patterns[key].search(low, at)))
        return {key: words for *_, key, words in sorted(found)}

    def scores(self, texts: list[str]) -> np.ndarray:
        """Element scores (texts × elements) with the rules tier's cues and default weights, over
        the whole text given: the learned tiers pass the framed text, title included, where the
        rules tier itself reads only the passage's own words."""
        out = np.zeros((len(texts), len(self.elements)))
        for i, text in enumerate(texts):
            by_element: dict[str, list[str]] = {}
            for element, cue in self.fired(text):
                by_element.setdefault(element, []).append(cue)
            out[i] = [_combine(by_element.get(element, []), WEAK_WEIGHT, STRONG_WEIGHT) for element in self.elements]
        return out


def _combine(cues: list[str], weak: float, strong: float) -> float:
    """1 − Π(1 − w) over the distinct cues that fired: two independent cues outweigh one."""
    miss = 1.0
    for cue in cues:
        miss *= 1 - (strong if cue in STRONG else weak)
    return 1 - miss


def head_scores(texts: list[str]) -> np.ndarray:
    """The rules tier's modality and bearer distributions, side by side (7 columns)."""
    return np.array([np.concatenate(_heads(t)) for t in texts]).reshape(len(texts), 7)


def _variants(spec: str) -> list[str]:
    """"a b||c d" → ["a b", "c d"]: alternative patterns of different lengths."""
    return [v.strip() for v in spec.split("||") if v.strip()]


_OBLIGATION_RE = re.compile(rf"\b(?:{OBLIGATION})\b", re.IGNORECASE)
_CONDUCT_RE = re.compile(rf"\b(?:{'|'.join(CONDUCT_CUES.values())})\b", re.IGNORECASE)
_RESULT_RE = re.compile(rf"\b(?:{'|'.join(RESULT_CUES.values())})\b", re.IGNORECASE)
_STATE_RE = re.compile(rf"\b(?:{STATE_CUES})\b", re.IGNORECASE)
_OPERATOR_RE = re.compile(rf"\b(?:{OPERATOR_CUES})\b", re.IGNORECASE)
_OTHER_RE = re.compile(rf"\b(?:{OTHER_CUES})\b", re.IGNORECASE)
_ENSURE_THAT = re.compile(rf"ensure that\s+(?:\w+\s+){{0,4}}?(?:{OPERATOR_CUES})\b", re.IGNORECASE)
_DEFINITION = re.compile(r"^\(?\d*\)?\s*[‘'“\"][^’'”\"]{1,80}[’'”\"]\s+means\b|^\(\d+\)\s+(?:The|This|In|Whereas|Since|Given)\b")


def _heads(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Modality (conduct, result, none) and bearer (state, operator, other, none) from the
    first obligation verb and the words just before it (its subject). A recital binds no one
    (labels.md), whatever its verbs."""
    none = (np.array([0.1, 0.1, 0.8]), np.array([0.05, 0.05, 0.05, 0.85]))
    part, text = unframe(text)
    if part == "recital" or _DEFINITION.search(text):
        return none
    obligation = _OBLIGATION_RE.search(text)
    if not obligation:
        return none
    window_after = text[obligation.end(): obligation.end() + 160]
    conduct = bool(_CONDUCT_RE.search(window_after))
    result = bool(_RESULT_RE.search(window_after))
    modality = np.array([0.6, 0.3, 0.1]) if conduct and not result else np.array([0.3, 0.6, 0.1]) if result else np.array([0.5, 0.4, 0.1])
    subject = text[max(0, obligation.start() - 90): obligation.start()]
    if _ENSURE_THAT.search(text[obligation.start(): obligation.start() + 200]):
        bearer = np.array([0.2, 0.65, 0.1, 0.05])
    elif _OPERATOR_RE.search(subject) and not _STATE_RE.search(subject[-40:]):
        bearer = np.array([0.2, 0.65, 0.1, 0.05])
    elif _OTHER_RE.search(subject) and not _STATE_RE.search(subject):
        bearer = np.array([0.15, 0.15, 0.65, 0.05])
    else:
        bearer = np.array([0.65, 0.2, 0.1, 0.05])
    return modality, bearer


RULE_FEATURES = 16  # 9 element cue scores (scheme order), then 3 modality and 4 bearer scores


def rule_features(texts: list[str], cues: CueIndex | None = None) -> np.ndarray:
    """The rules tier's cue scores and head distributions (16 dense features), through the
    cue table's plain-text regexes: the same cues as the spaCy patterns, at regex speed, read
    over the framed text (part marker and title included)."""
    return np.hstack([(cues or CueIndex()).scores(texts), head_scores(texts)])

"""report.html: one self-contained file (styles, script and data inline; nothing fetched)
that someone who has never used ddlens can open, read and check.

The page carries the document-level matrix; its script folds documents into jurisdiction
cells for the kind chosen, so filtering by kind needs no server.
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .export import LEVEL_COLOURS, card_summary
from .io import atomic_write_text
from .matrix import LEVEL_MEANING, NOT_ASSESSED, SHOWN_LEVELS, Matrix, describe_filters
from .records import BINDING_KINDS


def render_report(doc_matrix: Matrix, card: dict | None = None, run_info: dict | None = None, top: int = 5) -> str:
    """The page for a matrix grouped by document (`coverage(..., by="doc_id")`); a
    jurisdiction's cell shows its `top` strongest passages."""
    if doc_matrix.by != "doc_id":
        raise ValueError("the report is built from the document-level matrix")
    cells: dict[str, dict[str, dict]] = {}
    for cell in doc_matrix.cells:
        cells.setdefault(cell.group, {})[cell.element] = {
            "level": cell.level, "n": cell.n_passages, "max": cell.max_score,
            "evidence": [e.to_dict() for e in cell.evidence],
        }
    data = {
        "levels": list(SHOWN_LEVELS), "meaning": LEVEL_MEANING, "colours": LEVEL_COLOURS,
        "untagged": sorted({c.element for c in doc_matrix.cells if c.level == NOT_ASSESSED}),
        "elements": list(doc_matrix.elements), "binding": sorted(BINDING_KINDS),
        "documents": doc_matrix.documents, "cells": cells, "top": top,
    }
    summary = card_summary(card or {})
    data["weak"] = weak_elements(summary)
    data["cv"] = {e: {k: m.get(k) for k in ("precision", "recall")} for e, m in summary["per_label"].items()}
    data["cv_jurisdiction"] = summary["by_jurisdiction"]
    # every "<" escaped: a passage reading "<!--<script" would otherwise end the data block
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    jurisdictions = sorted({d["jurisdiction"] for d in doc_matrix.documents})
    kinds = sorted({d["kind"] for d in doc_matrix.documents})
    return (_TEMPLATE
            .replace("{{STYLE}}", _STYLE)
            .replace("{{SCRIPT}}", _SCRIPT)
            .replace("{{DATA}}", payload)
            .replace("{{KIND_OPTIONS}}", "".join(f'<option value="{html.escape(k)}">{html.escape(k)}</option>' for k in kinds))
            .replace("{{METHOD}}", _method(doc_matrix, summary, run_info or {}, len(jurisdictions), kinds))
            .replace("{{SUBTITLE}}", html.escape(
                f"{len(doc_matrix.documents)} documents · {len(jurisdictions)} jurisdictions · "
                f"{doc_matrix.n_passages:,} passages · model {doc_matrix.model}")))


WEAK_F1 = 0.3


def weak_elements(card: dict) -> dict[str, float]:
    """Elements the model finds poorly (cross-validated F1 under WEAK_F1): their columns are
    flagged, since most of their cells are likely to be wrong."""
    return {e: f1 for e, f1 in card.get("per_label_f1", {}).items() if isinstance(f1, (int, float)) and f1 < WEAK_F1}


def write_report(doc_matrix: Matrix, path: Path, card: dict | None = None, run_info: dict | None = None,
                 top: int = 5) -> None:
    atomic_write_text(path, render_report(doc_matrix, card, run_info, top))


def _method(matrix: Matrix, card: dict, run_info: dict, n_jurisdictions: int, kinds: list[str]) -> str:
    esc = html.escape

    def fmt(value) -> str:
        return f"{value:.3f}" if isinstance(value, (int, float)) else "n/a"

    levels = "".join(
        f'<tr><td><span class="swatch" style="background:{LEVEL_COLOURS[level]}"></span>{esc(level)}</td>'
        f"<td>{esc(meaning)}</td></tr>" for level, meaning in LEVEL_MEANING.items())
    by_document = any(m.get("document_f1") is not None for m in card.get("per_label", {}).values())
    per_label = "".join(
        f"<tr><td>{esc(label)}</td><td>{fmt(m['precision'])}</td><td>{fmt(m['recall'])}</td><td>{fmt(m['f1'])}</td>"
        + (f"<td>{fmt(m.get('document_f1'))}</td>" if by_document else "")
        + f"<td>{m['support'] if m['support'] is not None else 'n/a'}</td><td>{fmt(card['thresholds'].get(label))}</td></tr>"
        for label, m in card.get("per_label", {}).items())
    filters = describe_filters(matrix.filters)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    document_note = (" F1 by document reads a document as a cell does: does the model find the element in a document "
                     "whose labelled passages hold it, whichever passage it finds it in." if by_document else "")
    return f"""
<h2>Method</h2>
<p><b>Corpus.</b> {len(matrix.documents)} documents from {n_jurisdictions} jurisdictions
({esc(', '.join(kinds))}), read into {matrix.n_passages:,} passages along their legal structure
(recitals, articles, paragraphs, points; sections of strategies). Binding kinds:
{esc(', '.join(sorted(BINDING_KINDS)))}; every other kind counts as policy.
{esc('Filters: ' + filters + '.') if filters else ''}</p>
{_not_read(run_info.get('not_read') or [])}
<p><b>Classifier.</b> Model <code>{esc(str(card.get('name') or matrix.model))}</code>, trained
on {esc(str(card.get('n_train') or 'n/a'))} hand-labelled passages (label scheme
v{esc(str(card.get('scheme_version') or '?'))}). Grouped {esc(str(card.get('cv_folds') or '?'))}-fold
cross-validation by document: elements macro-F1 {fmt(card.get('elements_macro_f1'))},
modality macro-F1 {fmt(card.get('modality_macro_f1'))}, bearer macro-F1 {fmt(card.get('bearer_macro_f1'))}.
A passage supports an element when its score passes the element's tuned threshold
(a threshold above 1 means the model never tags it: too few training examples).
Read every cell with its evidence: the model errs, and the passages are there to check it.
Elements with a CV F1 under {WEAK_F1} are marked ⚠ in the matrix. Precision is the share
of the passages the model tags with an element that hold it: how far to trust the evidence
of a cell. Recall is the share of the passages holding an element that the model finds: an
element with low recall can be in a document whose cell reads "absent".{document_note}</p>
<table class="small"><thead><tr><th>element</th><th>CV precision</th><th>CV recall</th><th>CV F1</th>
{'<th>CV F1 by document</th>' if by_document else ''}<th>positives</th><th>threshold</th></tr></thead>
<tbody>{per_label}</tbody></table>
<p><b>Levels.</b> A cell takes the highest level any of its passages reaches; the evidence
lists the passages behind it, strongest first (by level, then score).</p>
<table class="small"><tbody>{levels}</tbody></table>
<p class="muted">ddlens {esc(__version__)} · generated {generated}
{esc('· run ' + str(run_info.get('created', ''))) if run_info.get('created') else ''}</p>
"""


def _not_read(failed: list[dict]) -> str:
    """Files of the run that could not be read have no row: the reader must not take a missing
    jurisdiction for one that was read and found wanting."""
    if not failed:
        return ""
    items = "".join(f"<li>{html.escape(Path(str(f['path'])).name)}: {html.escape(str(f.get('reason', '')))}</li>"
                    for f in failed)
    return (f'<p class="warn"><b>Not read.</b> {len(failed)} file{"s" if len(failed) != 1 else ""} of this run could not be '
            f"read and are in no cell of the matrix (errors.jsonl):</p><ul class=\"small\">{items}</ul>")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ddlens: due diligence coverage</title>
<style>{{STYLE}}</style></head>
<body>
<header><h1>Due diligence in cybersecurity law and strategy</h1>
<p class="muted">{{SUBTITLE}}</p></header>
<main>
<section id="controls">
<label>Sort by <select id="sort"><option value="jurisdiction">jurisdiction</option>
<option value="coverage">coverage</option></select></label>
<label>Documents <select id="kind"><option value="all">all kinds</option>
<option value="binding">binding (laws, directives, …)</option><option value="non-binding">non-binding (strategies, …)</option>
{{KIND_OPTIONS}}</select></label>
<span id="legend"></span>
</section>
<div id="layout">
<div id="grid"><table id="heatmap"><thead></thead><tbody></tbody></table></div>
<aside id="detail"><p class="muted">Click a cell to see the passages behind it, or a
jurisdiction to list its documents.</p></aside>
</div>
<section id="method">{{METHOD}}</section>
</main>
<script id="data" type="application/json">{{DATA}}</script>
<script>{{SCRIPT}}</script>
</body></html>
"""

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fff}
header{padding:16px 24px 4px;border-bottom:1px solid #ddd}h1{font-size:20px;margin:0 0 4px}
main{padding:12px 24px}.muted{color:#666}#controls{display:flex;gap:18px;align-items:center;flex-wrap:wrap;margin-bottom:10px}
#legend span{display:inline-flex;align-items:center;margin-right:10px;font-size:12px}
.swatch{display:inline-block;width:14px;height:14px;border:1px solid #aaa;margin-right:4px;vertical-align:middle}
#layout{display:flex;gap:18px;align-items:flex-start}#grid{flex:none;overflow:auto;max-height:80vh}
#heatmap{border-collapse:collapse;font-size:12px}#heatmap th{font-weight:600;padding:2px 6px;background:#fff;position:sticky;top:0}
#heatmap thead th{height:130px;vertical-align:bottom;white-space:nowrap}
#heatmap thead th div{writing-mode:vertical-rl;transform:rotate(180deg);margin:0 auto}
#heatmap th.jur{text-align:right;cursor:pointer;color:#08519c;position:sticky;left:0}
#heatmap td.cell{width:38px;height:20px;border:1px solid #fff;cursor:pointer;text-align:center;font-size:10px}
#heatmap td.cell:hover,#heatmap td.selected{outline:2px solid #e6550d}
aside#detail{flex:1;min-width:320px;max-height:80vh;overflow:auto;border-left:1px solid #ddd;padding-left:16px}
.ev{border-bottom:1px solid #eee;padding:8px 0}.ev .ref{font-weight:600}.ev .meta{font-size:12px;color:#555}
.ev blockquote{margin:6px 0 0;padding-left:10px;border-left:3px solid #c6dbef;white-space:pre-wrap}
.ev .why{font-size:12px;color:#555;margin-top:4px}
table.small{border-collapse:collapse;font-size:12px;margin:6px 0}table.small td,table.small th{border:1px solid #ddd;padding:2px 6px}
#method{max-width:900px;margin-top:24px}
#heatmap th.weak{color:#a63603}p.warn,span.warn{color:#a63603}
"""

_SCRIPT = r"""
const D = JSON.parse(document.getElementById('data').textContent);
const L = D.levels, rank = l => L.indexOf(l), short = {"not assessed":"–","absent":"","mentioned":"m","policy":"P","law:conduct":"C","law:result":"R"};
const empty = e => D.untagged.includes(e) ? 'not assessed' : 'absent';
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'})[c]);
const label = e => e.replace(/_/g, ' ');
let state = {sort: 'jurisdiction', kind: 'all', selected: null};

function keeps(doc) {
  if (state.kind === 'all') return true;
  const binding = D.binding.includes(doc.kind);
  if (state.kind === 'binding') return binding;
  if (state.kind === 'non-binding') return !binding;
  return doc.kind === state.kind;
}

function cells() {  // jurisdiction -> element -> {level, n, docs, evidence}
  const out = {};
  for (const doc of D.documents.filter(keeps)) {
    const j = out[doc.jurisdiction] ??= {};
    for (const e of D.elements) {
      const c = (D.cells[doc.doc_id] || {})[e] || {level: empty(e), n: 0, evidence: []};
      const cell = j[e] ??= {level: empty(e), n: 0, docs: 0, evidence: []};
      if (rank(c.level) > rank(cell.level)) cell.level = c.level;
      cell.n += c.n; if (c.n) cell.docs += 1;
      cell.evidence = cell.evidence.concat(c.evidence);
    }
  }
  for (const j of Object.values(out)) for (const cell of Object.values(j))
    cell.evidence.sort((a, b) => rank(b.level) - rank(a.level) || b.score - a.score
      || (a.passage_id < b.passage_id ? -1 : a.passage_id > b.passage_id ? 1 : 0)).splice(D.top);
  return out;
}

function render() {
  const C = cells();
  let rows = Object.keys(C).sort();
  const total = j => D.elements.reduce((s, e) => s + rank(C[j][e].level), 0);
  if (state.sort === 'coverage') rows.sort((a, b) => total(b) - total(a) || a.localeCompare(b));
  const head = document.querySelector('#heatmap thead'), body = document.querySelector('#heatmap tbody');
  head.innerHTML = '<tr><th></th>' + D.elements.map(e => e in D.weak
    ? `<th class="weak" title="${esc(weakNote(e))}"><div>⚠ ${esc(label(e))}</div></th>`
    : `<th><div>${esc(label(e))}</div></th>`).join('') + '</tr>';
  body.innerHTML = rows.map(j => `<tr><th class="jur" data-j="${esc(j)}">${esc(j)}</th>` + D.elements.map(e => {
    const c = C[j][e], dark = c.level.startsWith('law:');
    return `<td class="cell" data-j="${esc(j)}" data-e="${e}" data-level="${c.level}" title="${esc(j)} × ${esc(label(e))}: ${c.level} (${c.n} passages)"`
      + ` style="background:${D.colours[c.level]};color:${dark ? '#fff' : '#222'}">${short[c.level]}</td>`;
  }).join('') + '</tr>').join('');
  body.querySelectorAll('td.cell').forEach(td => td.addEventListener('click', () => showCell(C, td)));
  body.querySelectorAll('th.jur').forEach(th => th.addEventListener('click', () => showDocs(th.dataset.j)));
}

function weakNote(e) {
  return `${label(e)}: cross-validated F1 ${D.weak[e].toFixed(2)}; the model finds this element poorly, so most of its cells are likely wrong. Read the evidence.`;
}

// what the model's cross-validation says about a cell: how often its evidence is right,
// or, for a cell without any, how many such passages the model misses
function trustNote(e, n) {
  const cv = D.cv[e] || {}, pct = x => Math.round(100 * x) + '%';
  if (n && typeof cv.precision === 'number')
    return `<p class="muted">In cross-validation, ${pct(cv.precision)} of the passages the model tagged ${esc(label(e))} held it.</p>`;
  if (!n && typeof cv.recall === 'number')
    return `<p class="muted">In cross-validation, the model found ${pct(cv.recall)} of the passages that hold ${esc(label(e))}: the documents may hold it where the model saw nothing.</p>`;
  return '';
}

function showCell(C, td) {
  document.querySelectorAll('td.selected').forEach(x => x.classList.remove('selected'));
  td.classList.add('selected');
  const j = td.dataset.j, e = td.dataset.e, c = C[j][e];
  const items = c.evidence.map(v => `<div class="ev"><div class="ref">${esc(v.reference)}</div>`
    + `<div class="meta">${esc(v.doc_kind)} · passage level ${esc(v.level)} · score ${v.score.toFixed(3)} · modality ${esc(v.modality)} · bearer ${esc(v.bearer)}</div>`
    + `<blockquote>${esc(v.text)}</blockquote>`
    + (v.why && v.why.length ? `<div class="why">why: ${v.why.map(esc).join(' · ')}</div>` : '') + `</div>`).join('');
  document.getElementById('detail').innerHTML = `<h2 id="detail-title">${esc(j)} × ${esc(label(e))}</h2>`
    + `<p><b>${esc(c.level)}</b>: ${esc(D.meaning[c.level])}<br>${c.n} supporting passage${c.n === 1 ? '' : 's'} in ${c.docs} document${c.docs === 1 ? '' : 's'}.</p>`
    + (e in D.weak ? `<p class="warn">⚠ ${esc(weakNote(e))}</p>` : '')
    + (c.level === 'not assessed' ? '' : trustNote(e, c.n)
       + (items || '<p class="muted">No passage supports this element in the documents shown.</p>')
       + (c.n > c.evidence.length ? `<p class="muted">The strongest ${c.evidence.length} of ${c.n} passages; `
          + `<code>ddlens evidence RUN ${esc(j)} ${esc(e)}</code> lists them all.</p>` : ''));
}

function showDocs(j) {
  const docs = D.documents.filter(d => d.jurisdiction === j);
  document.getElementById('detail').innerHTML = `<h2 id="detail-title">${esc(j)}: ${docs.length} documents</h2><ul>`
    + docs.map(d => `<li class="doc"><b>${esc(d.title)}</b> (${esc(d.year ?? 'n.d.')}) · ${esc(d.kind)}`
      + ` · ${d.pages ? esc(d.pages) + ' pages · ' : ''}${esc(d.n_passages)} passages${keeps(d) ? '' : ' · hidden by the kind filter'}`
      + (d.language && d.language !== 'en' ? ` · <span class="warn">written in ${esc(d.language)}: the models learned from English passages mostly</span>` : '')
      + '</li>').join('') + '</ul>'
    + jurisdictionNote(j);
}

// how the model did on this jurisdiction's labelled passages, read only when their documents were held out
function jurisdictionNote(j) {
  const cv = D.cv_jurisdiction[j], f = x => typeof x === 'number' ? x.toFixed(2) : 'n/a';
  if (!cv) return '<p class="muted">None of this jurisdiction\'s passages is labelled: the model\'s cross-validation says nothing about how well it reads them.</p>';
  return `<p class="muted">In cross-validation, on the ${cv.n} labelled passages of this jurisdiction's documents`
    + ` (each read by a model that never saw its document): elements macro-F1 ${f(cv.elements_macro_f1)},`
    + ` modality ${f(cv.modality_macro_f1)}, bearer ${f(cv.bearer_macro_f1)}${cv.n < 100 ? '; few passages, so rough figures' : ''}.</p>`;
}

document.getElementById('legend').innerHTML = L.map(l => `<span><i class="swatch" style="background:${D.colours[l]}"></i>${esc(l)}</span>`).join('');
document.getElementById('sort').addEventListener('change', ev => { state.sort = ev.target.value; render(); });
document.getElementById('kind').addEventListener('change', ev => { state.kind = ev.target.value; render(); });
render();
"""

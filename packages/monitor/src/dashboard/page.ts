/** The dashboard's single HTML page: no external scripts, styles or fonts (the network may be closed). */
export function dashboardPage(title: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nn-monitor — ${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; background: #fafafa; }
h1 { font-size: 18px; margin: 0 0 4px; } .sub { color: #666; margin-bottom: 16px; }
.run { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px 16px; margin-bottom: 16px; }
.run h2 { font-size: 16px; margin: 0 0 6px; display: flex; gap: 10px; align-items: center; }
.badge { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #eee; }
.badge.v-high-bias, .badge.v-high-variance { background: #fde2c0; } .badge.v-high-bias-and-high-variance { background: #f8c4c4; }
.badge.v-neither { background: #cdeccd; } .badge.v-cannot-tell { background: #e0e0f4; }
.status { color: #666; font-size: 12px; font-weight: normal; } .diag { margin: 4px 0; color: #333; white-space: pre-line; }
.err { color: #b00; } .plot svg { max-width: 100%; height: auto; }
.ea h3 { font-size: 15px; margin: 14px 0 6px; border-top: 1px solid #eee; padding-top: 10px; }
.ea .headline { margin: 4px 0 8px; } .ea .headline b { font-variant-numeric: tabular-nums; }
.ea .row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.ea table { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; }
.ea th, .ea td { padding: 2px 8px; text-align: right; border-bottom: 1px solid #eee; } .ea th:first-child, .ea td:first-child { text-align: left; }
.ea tr.avg td { font-style: italic; color: #444; }
</style></head>
<body>
<h1>nn-monitor</h1><div class="sub">log folder <code>${esc(title)}</code> · <span id="updated">loading…</span></div>
<div id="runs"></div>
<script>
const runsEl = document.getElementById('runs');
const updatedEl = document.getElementById('updated');
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
async function refresh() {
  const res = await fetch('/api/runs', { cache: 'no-store' });
  const data = await res.json();
  runsEl.replaceChildren();
  if (!data.runs.length) runsEl.append(el('p', 'sub', 'No runs yet: write <run>/metrics.jsonl with the JsonlLogger callback.'));
  for (const r of data.runs) {
    const card = el('section', 'run'); card.dataset.run = r.name;
    const h = el('h2', null, r.name);
    if (r.verdict) { const b = el('span', 'badge v-' + r.verdict.replace(/ /g, '-'), r.verdict); b.dataset.verdict = r.verdict; h.append(b); }
    h.append(el('span', 'status', (r.finished ? 'finished' : 'running') + ' · ' + r.epochs + ' epoch' + (r.epochs === 1 ? '' : 's')));
    card.append(h);
    if (r.explanation) card.append(el('div', 'diag', r.explanation));
    if (r.summary) card.append(el('div', 'diag', r.summary));
    if (r.error) card.append(el('div', 'diag err', r.error));
    const plot = el('div', 'plot'); plot.innerHTML = r.svg || ''; card.append(plot);
    if (r.errorAnalysis) card.append(errorAnalysis(r.errorAnalysis));
    runsEl.append(card);
  }
  updatedEl.textContent = 'updated ' + new Date().toLocaleTimeString() + ' (version ' + data.version + ')';
  document.body.dataset.version = String(data.version);
}
const pct = (x) => (x * 100).toFixed(2) + '%';
function errorAnalysis(a) {
  const box = el('div', 'ea');
  box.append(el('h3', null, 'Error analysis'));
  box.append(el('div', 'headline', 'on ' + a.numSamples + ' samples: accuracy ' + pct(a.accuracy) + ' · top-2 accuracy ' + pct(a.top2Accuracy) +
    ' · ROC-AUC (one-vs-rest, macro) ' + (a.rocAuc === null ? 'n/a' : a.rocAuc.toFixed(4))));
  if (a.rocAucError) box.append(el('div', 'diag err', 'ROC-AUC: ' + a.rocAucError));
  const row = el('div', 'row');
  const cm = el('div', 'plot cm'); cm.innerHTML = a.confusionSvg; row.append(cm);
  const table = el('table', 'report');
  const head = el('tr');
  for (const c of ['class', 'precision', 'recall', 'F1', 'support']) head.append(el('th', null, c));
  table.append(head);
  for (const r of a.report) {
    const tr = el('tr', r.name === 'macro avg' || r.name === 'weighted avg' ? 'avg' : null);
    tr.append(el('td', null, r.name));
    for (const v of [r.precision, r.recall, r.f1]) tr.append(el('td', null, v.toFixed(4)));
    tr.append(el('td', null, String(Math.round(r.support * 1000) / 1000)));
    table.append(tr);
  }
  row.append(table);
  box.append(row);
  if (a.gridSvg) { const g = el('div', 'plot grid'); g.innerHTML = a.gridSvg; box.append(g); }
  else if (a.mistakes) box.append(el('div', 'diag', a.mistakes + ' most confident mistakes recorded without images.'));
  return box;
}
let pending = null;
function schedule() { if (!pending) pending = refresh().catch((e) => { updatedEl.textContent = 'error: ' + e.message; }).finally(() => { pending = null; }); }
const es = new EventSource('/events');
es.addEventListener('update', schedule);
es.onerror = () => { updatedEl.textContent = 'disconnected, retrying…'; };
schedule();
</script>
</body></html>`;
}

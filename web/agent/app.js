// The matrix page: polls this agent's JSON API and renders it. No build step,
// no framework: plain ES modules served by the agent (docs/agent.md).
import { columnsOf, el, hasProblem, renderBody, renderHead, rowsOf, summaryCounts } from './matrix.js';

const REFRESH_MS = 5000;
const $ = (id) => document.getElementById(id);
const state = { results: [], view: 'matrix', selected: null, timer: null };

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

function renderMatrix() {
  const onlyProblems = $('only-problems').checked;
  const needle = $('peer-filter').value.trim().toLowerCase();
  const columns = columnsOf(state.results);
  let rows = rowsOf(state.results);
  if (onlyProblems) rows = rows.filter(hasProblem);
  if (needle) rows = rows.filter((r) => r.peer.toLowerCase().includes(needle) || r.peerIp.includes(needle));
  renderHead($('matrix').tHead, columns);
  renderBody($('matrix').tBodies[0], rows, columns);
  const counts = summaryCounts(state.results);
  $('summary').replaceChildren(...Object.keys(counts).sort().map((v) => el('span', { class: `v-${v}` }, `${v}: ${counts[v]}`)));
  if (state.selected) showDetail(state.selected.peer, state.selected.key, false);
}

function showDetail(peer, key, scroll = true) {
  const cell = state.results.find((r) => r.peer === peer && `${r.port}/${r.direction}` === key);
  if (!cell) return hideDetail();
  state.selected = { peer, key };
  const arrow = cell.direction === 'forward' ? `this node → ${peer}` : `${peer} → this node`;
  $('detail-title').textContent = `${peer} ${cell.port}/${cell.direction}: ${cell.verdict}${cell.stable ? '' : ' (provisional)'}`;
  $('detail-meta').textContent = `${arrow} · ${cell.peerIp} · selected by ${cell.reason} · since ${cell.since} · last checked ${cell.lastChecked}`;
  $('detail-evidence').replaceChildren(...cell.evidence.map((e) => el('li', {}, `${e.kind}: ${e.message}`)));
  $('detail-remedy').textContent = cell.remedy ?? 'nothing to change';
  $('detail').hidden = false;
  if (scroll) $('detail').scrollTop = 0;
}

function hideDetail() {
  state.selected = null;
  $('detail').hidden = true;
}

async function refreshAlerts() {
  const [peers, audit] = await Promise.all([getJson('api/v1/peers'), getJson('api/v1/inspect')]);
  const lines = [];
  for (const p of peers.inbound ?? []) {
    if (p.silent) lines.push(`nobody reached this node on ${p.port} for 3 rounds (expected: ${p.missing.join(', ')})`);
  }
  if (!peers.source?.synced) lines.push(`node source ${peers.source?.kind} (${peers.source?.origin}) is not current`);
  const errors = (audit.findings ?? []).filter((f) => f.severity === 'error');
  for (const f of errors.slice(0, 10)) lines.push(`audit: ${f.message} — ${f.remedy}`);
  if (audit.error) lines.push(`audit could not run: ${audit.error}`);
  $('alerts').replaceChildren(...lines.map((l) => el('p', {}, l)));
}

async function renderCluster() {
  const doc = await getJson('api/v1/cluster');
  const thead = $('cluster').tHead;
  const tbody = $('cluster').tBodies[0];
  if (!doc.enabled) {
    $('cluster-note').textContent = doc.reason;
    thead.replaceChildren();
    tbody.replaceChildren();
    return;
  }
  $('cluster-note').textContent = `${doc.agents.length} other agents, as of ${doc.updatedAt}`;
  const head = el('tr');
  head.append(el('th', {}, 'agent'), el('th', {}, 'cells'), el('th', {}, 'problems'));
  thead.replaceChildren(head);
  tbody.replaceChildren(...doc.agents.map((a) => {
    const tr = el('tr');
    tr.append(el('th', { scope: 'row' }, `${a.node} (${a.ip})`));
    if (!a.ok) {
      tr.append(el('td', { class: 'v-unknown' }, `no answer: ${a.error}`), el('td'));
      return tr;
    }
    tr.append(el('td', {}, Object.entries(a.counts).map(([v, n]) => `${v}: ${n}`).join(', ')));
    tr.append(el('td', {}, a.bad.map((b) => `${b.peer} ${b.port}/${b.direction} ${b.verdict}`).join('; ') || '—'));
    return tr;
  }));
}

async function refresh() {
  try {
    if (state.view === 'matrix') {
      const doc = await getJson('api/v1/results');
      state.results = doc.results;
      $('node').textContent = doc.node;
      document.title = `vxprobe ${doc.node}`;
      renderMatrix();
      await refreshAlerts();
    } else {
      await renderCluster();
    }
    $('status').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    $('status').textContent = `refresh failed: ${err.message}`;
  }
}

function setView(view) {
  state.view = view;
  for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.view === view);
  $('view-matrix').hidden = view !== 'matrix';
  $('view-cluster').hidden = view !== 'cluster';
  void refresh();
}

function start() {
  $('matrix').addEventListener('click', (ev) => {
    const td = ev.target.closest('td.cell[data-key]');
    if (td) showDetail(td.parentElement.dataset.peer, td.dataset.key);
  });
  $('detail-close').addEventListener('click', hideDetail);
  $('only-problems').addEventListener('change', renderMatrix);
  $('peer-filter').addEventListener('input', renderMatrix);
  for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => setView(b.dataset.view));
  void refresh();
  state.timer = setInterval(() => {
    if (!document.hidden) void refresh();
  }, REFRESH_MS);
}

start();

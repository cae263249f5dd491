// Pure DOM builders for the matrix page (docs/agent.md, "Matrix page").
// Everything from the API is set as textContent, never parsed as HTML: peer
// names and evidence come from other machines.

export const DIRECTION_ARROW = { forward: '→', reverse: '←' };

/** Column keys "8472/forward", ... in port order, forward first. */
export function columnsOf(results) {
  const ports = [...new Set(results.map((r) => r.port))].sort((a, b) => a - b);
  return ports.flatMap((port) => ['forward', 'reverse'].map((direction) => ({ port, direction, key: `${port}/${direction}` })));
}

/** Rows: one per peer, with its cells by column key. */
export function rowsOf(results) {
  const rows = new Map();
  for (const r of results) {
    let row = rows.get(r.peer);
    if (!row) rows.set(r.peer, (row = { peer: r.peer, peerIp: r.peerIp, reason: r.reason, cells: new Map() }));
    row.cells.set(`${r.port}/${r.direction}`, r);
  }
  return [...rows.values()].sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
}

export function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

export function renderHead(thead, columns) {
  const tr = el('tr');
  tr.append(el('th', {}, 'peer'), el('th', {}, 'address'), el('th', {}, 'why'));
  for (const c of columns) tr.append(el('th', { title: c.direction === 'forward' ? 'from this node to the peer' : 'from the peer to this node' }, `${c.port} ${DIRECTION_ARROW[c.direction]}`));
  thead.replaceChildren(tr);
}

/** Rebuilds the body in one fragment (300 peers x 4 cells is ~1,500 nodes: cheap). */
export function renderBody(tbody, rows, columns) {
  const frag = document.createDocumentFragment();
  for (const row of rows) {
    const tr = el('tr', { 'data-peer': row.peer });
    tr.append(el('th', { scope: 'row' }, row.peer), el('td', {}, row.peerIp), el('td', { class: 'reason' }, row.reason));
    for (const c of columns) {
      const cell = row.cells.get(c.key);
      if (!cell) {
        tr.append(el('td', { class: 'cell v-unknown' }, '·'));
        continue;
      }
      const td = el('td', {
        class: `cell v-${cell.verdict}${cell.stable ? '' : ' provisional'}`,
        'data-key': c.key,
        'data-verdict': cell.verdict,
        title: `${cell.verdict}${cell.stable ? '' : ' (provisional)'} since ${cell.since}`,
      }, cell.verdict);
      tr.append(td);
    }
    frag.append(tr);
  }
  tbody.replaceChildren(frag);
}

export function hasProblem(row) {
  for (const cell of row.cells.values()) if (cell.verdict !== 'ok') return true;
  return false;
}

export function summaryCounts(results) {
  const counts = {};
  for (const r of results) counts[r.verdict] = (counts[r.verdict] ?? 0) + 1;
  return counts;
}

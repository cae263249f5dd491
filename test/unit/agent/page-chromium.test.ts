// The matrix page in real headless Chromium (Debian's chromium, driven by
// puppeteer-core; no browser download): 300 peers as rows, cells coloured by
// verdict, click for evidence and remedy, auto-refresh, the cluster view's
// size limit. A screenshot is kept in test-artifacts/ for humans.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, type Agent } from '../../../src/agent/agent.js';
import { FakeDiscovery, fakeListen, peerNode, scriptedPair, waitFor } from './fakes.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
export const CHROMIUM = process.env.VXPROBE_CHROMIUM ?? '/usr/bin/chromium';
const PEERS = 300;
const nodes = Array.from({ length: PEERS + 1 }, (_, i) => peerNode(`node-${String(i).padStart(3, '0')}`, `10.1.${i >> 8}.${i & 255}`));
const discovery = new FakeDiscovery(nodes);
// Every 25th peer's 8472 is hijacked both ways; node-007's 8475 forward filtered.
const pair = scriptedPair((ip, port, dir) => {
  const i = Number(ip.split('.')[2]) * 256 + Number(ip.split('.')[3]);
  if (port === 8472 && i % 25 === 0) return 'hijacked';
  if (port === 8475 && dir === 'forward' && i === 7) return 'filtered';
  return 'ok';
});

let a: Agent;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  a = await agent({
    iface: 'eth0', secret: Buffer.from('page-test-secret-0123456789'), discovery, name: 'node-000', peers: PEERS,
    // Long interval: the confirming second round (a quarter interval after the first) must not come
    // before the page is checked for provisional cells, even under ASan on a loaded machine.
    intervalMs: 600_000,
    concurrency: 16, http: { host: '127.0.0.1', port: 0 }, pairFn: pair.fn, listenFn: fakeListen().fn, collectFacts: null,
    clusterViewLimit: 100, log: () => {},
  });
  await waitFor('all peers probed', () => a.results().results.length === PEERS * 4, 20_000);
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await a?.close();
});

describe('matrix page in headless Chromium', () => {
  it('renders 300 peers x port x direction, coloured by verdict', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    await page.goto(`http://127.0.0.1:${a.httpPort}/`, { waitUntil: 'load' });
    await page.waitForFunction(`document.querySelectorAll('#matrix tbody tr').length === ${PEERS}`, { timeout: 10_000 });
    expect(await page.$eval('#node', (e) => e.textContent)).toBe('node-000');
    const heads = await page.$$eval('#matrix thead th', (ths) => ths.map((t) => t.textContent));
    expect(heads).toEqual(['peer', 'address', 'why', '8472 →', '8472 ←', '8475 →', '8475 ←']);
    expect(await page.$$eval('#matrix td.cell', (tds) => tds.length)).toBe(PEERS * 4);
    expect(await page.$$eval('#matrix td.v-hijacked', (tds) => tds.length)).toBe(12 * 2);
    expect(await page.$$eval('#matrix td.v-filtered', (tds) => tds.length)).toBe(1);
    const colour = await page.$eval('#matrix td.v-hijacked', (td) => td.ownerDocument.defaultView!.getComputedStyle(td).backgroundColor);
    const okColour = await page.$eval('#matrix td.v-ok', (td) => td.ownerDocument.defaultView!.getComputedStyle(td).backgroundColor);
    expect(colour).not.toBe(okColour);
    // First results are provisional until a second round agrees: marked as such.
    expect(await page.$$eval('#matrix td.provisional', (tds) => tds.length)).toBe(PEERS * 4);
    expect(errors).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'agent-matrix.png') as `${string}.png` });
  });

  it('a click on a cell shows its evidence and remedy; the filter narrows to problems', async () => {
    await page.click('#matrix tr[data-peer="node-007"] td[data-key="8475/forward"]');
    await page.waitForSelector('#detail:not([hidden])');
    expect(await page.$eval('#detail-title', (e) => e.textContent)).toBe('node-007 8475/forward: filtered (provisional)');
    expect(await page.$eval('#detail-evidence', (e) => e.textContent)).toContain('filtered on 8475');
    expect(await page.$eval('#detail-remedy', (e) => e.textContent)).toBe('fix 8475');
    await page.screenshot({ path: join(ARTIFACTS, 'agent-matrix-detail.png') as `${string}.png` });
    await page.click('#detail-close');
    await page.click('#only-problems');
    expect(await page.$$eval('#matrix tbody tr', (trs) => trs.length)).toBe(13);
    await page.click('#only-problems');
  });

  it('auto-refreshes: a peer that leaves disappears from the page', async () => {
    discovery.set(nodes.filter((n) => n.name !== 'node-050'));
    await page.waitForFunction(`!document.querySelector('#matrix tr[data-peer="node-050"]')`, { timeout: 12_000 });
    expect(await page.$$eval('#matrix tbody tr', (trs) => trs.length)).toBe(PEERS - 1);
  }, 20_000);

  it('the cluster view turns itself off above its size limit', async () => {
    await page.click('#tab-cluster');
    await page.waitForFunction(`/off above 100 nodes/.test(document.querySelector('#cluster-note')?.textContent ?? '')`, { timeout: 5000 });
    expect(await page.$eval('#view-matrix', (e) => e.hasAttribute('hidden'))).toBe(true);
  });
});

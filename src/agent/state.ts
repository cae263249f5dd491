// The agent's memory of every (peer, port, direction) cell: the last three
// rounds, the verdict shown, and since when (docs/agent.md, "Verdicts over
// time"). A first result is shown at once as provisional; after that the shown
// verdict changes only when 2 of the last 3 rounds agree, so one lost frame
// does not flap a cell.
import type { EvidenceItem, Verdict } from '../diagnose/types.js';
import type { Direction } from '../pair/plan-types.js';
import type { SelectionReason } from './selection.js';

/** `unknown`: no probe result (the peer's control channel failed or timed out). */
export type CellVerdict = Verdict | 'unknown';

export const CELL_VERDICTS: readonly CellVerdict[] = [
  'ok', 'filtered', 'hijacked', 'port-conflict', 'vtep-mapping', 'mtu', 'host-drop', 'unreachable', 'unknown',
];

export const DIRECTIONS: readonly Direction[] = ['forward', 'reverse'];

/** Every (port, direction) cell of a peer. */
export function cellsOf(ports: readonly number[]): { port: number; direction: Direction }[] {
  return ports.flatMap((port) => DIRECTIONS.map((direction) => ({ port, direction })));
}

export interface Observation {
  verdict: CellVerdict;
  evidence: EvidenceItem[];
  remedy: string | null;
  at: number;
}

/** One row of /api/v1/results (see docs/agent.md for the stable shape). */
export interface CellResult {
  peer: string;
  peerIp: string;
  reason: SelectionReason;
  port: number;
  direction: Direction;
  verdict: CellVerdict;
  stable: boolean;
  since: string;
  lastChecked: string;
  evidence: EvidenceItem[];
  remedy: string | null;
}

interface Cell {
  peerIp: string;
  reason: SelectionReason;
  history: Observation[];
  shown: Observation;
  stable: boolean;
  since: number;
}

export interface VerdictChange {
  peer: string;
  port: number;
  direction: Direction;
  from: CellVerdict | null;
  to: CellVerdict;
  stable: boolean;
  remedy: string | null;
}

const WINDOW = 3;
const AGREE = 2;

function cellKey(port: number, direction: Direction): string {
  return `${port}/${direction}`;
}

export class ResultStore {
  private readonly peers = new Map<string, Map<string, Cell>>();

  /** Records one round's verdict for a cell; returns the change of the shown verdict, if any. */
  record(peer: string, peerIp: string, reason: SelectionReason, port: number, direction: Direction, obs: Observation): VerdictChange | null {
    let cells = this.peers.get(peer);
    if (!cells) this.peers.set(peer, (cells = new Map()));
    const key = cellKey(port, direction);
    const cell = cells.get(key);
    if (!cell) {
      cells.set(key, { peerIp, reason, history: [obs], shown: obs, stable: false, since: obs.at });
      return { peer, port, direction, from: null, to: obs.verdict, stable: false, remedy: obs.remedy };
    }
    cell.peerIp = peerIp;
    cell.reason = reason;
    cell.history.push(obs);
    if (cell.history.length > WINDOW) cell.history.shift();
    const agreed = majority(cell.history);
    if (agreed === null) {
      // No two of the last three agree: keep showing what we showed, with the newest evidence for it.
      if (obs.verdict === cell.shown.verdict) cell.shown = obs;
      return null;
    }
    const before = cell.shown.verdict;
    const wasStable = cell.stable;
    // The newest observation of the agreed verdict carries the freshest evidence.
    cell.shown = [...cell.history].reverse().find((o) => o.verdict === agreed)!;
    cell.stable = true;
    if (before !== agreed) cell.since = cell.shown.at;
    if (before === agreed && wasStable) return null;
    return { peer, port, direction, from: before, to: agreed, stable: true, remedy: cell.shown.remedy };
  }

  /** True when the cell's shown verdict is stable and its newest round agrees with it. */
  settled(peer: string, port: number, direction: Direction): boolean {
    const cell = this.peers.get(peer)?.get(cellKey(port, direction));
    if (!cell) return false;
    return cell.stable && cell.history[cell.history.length - 1]!.verdict === cell.shown.verdict;
  }

  /**
   * True when every one of `cells` (port x direction) of `peer` shows a
   * stable ok that its newest round agrees with: the agent may watch the pair
   * with a lighter round (docs/agent.md, "Watch rounds").
   */
  healthy(peer: string, cells: readonly { port: number; direction: Direction }[]): boolean {
    return cells.every(({ port, direction }) => this.settled(peer, port, direction) && this.peers.get(peer)!.get(cellKey(port, direction))!.shown.verdict === 'ok');
  }

  /** Updates a peer's address/reason without a round (selection changed). */
  touch(peer: string, peerIp: string, reason: SelectionReason): void {
    for (const cell of this.peers.get(peer)?.values() ?? []) {
      cell.peerIp = peerIp;
      cell.reason = reason;
    }
  }

  /** Forgets a peer that left the selection (its cells and their metrics go with it). */
  remove(peer: string): boolean {
    return this.peers.delete(peer);
  }

  peerNames(): string[] {
    return [...this.peers.keys()];
  }

  /** Rows for /api/v1/results: peers sorted by name, ports ascending, forward first. */
  results(): CellResult[] {
    const out: CellResult[] = [];
    for (const peer of [...this.peers.keys()].sort()) {
      const cells = this.peers.get(peer)!;
      const rows = [...cells.entries()].map(([key, cell]) => {
        const [port, direction] = key.split('/') as [string, Direction];
        return {
          peer,
          peerIp: cell.peerIp,
          reason: cell.reason,
          port: Number(port),
          direction,
          verdict: cell.shown.verdict,
          stable: cell.stable,
          since: new Date(cell.since).toISOString(),
          lastChecked: new Date(cell.history[cell.history.length - 1]!.at).toISOString(),
          evidence: cell.shown.evidence,
          remedy: cell.shown.remedy,
        };
      });
      rows.sort((a, b) => a.port - b.port || DIRECTIONS.indexOf(a.direction) - DIRECTIONS.indexOf(b.direction));
      out.push(...rows);
    }
    return out;
  }
}

/** The verdict at least AGREE of the observations share, or null. */
function majority(history: Observation[]): CellVerdict | null {
  const counts = new Map<CellVerdict, number>();
  for (const o of history) counts.set(o.verdict, (counts.get(o.verdict) ?? 0) + 1);
  for (const [verdict, count] of counts) if (count >= AGREE) return verdict;
  return null;
}

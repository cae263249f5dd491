// Prometheus metrics of one agent (docs/agent.md, "Metrics"). Aggregates
// only by default: per-pair series are what made other mesh probers fall over
// at scale, so peer labels exist only with --per-peer-metrics, for ring peers,
// and disappear with the peer. Gauges are computed at scrape time from the
// agent's state, so a departed peer's numbers cannot linger.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Severity } from '../inspect/types.js';
import type { SelectionReason } from './selection.js';
import { CELL_VERDICTS, DIRECTIONS, type CellResult, type CellVerdict } from './state.js';

export interface MetricsView {
  ports: number[];
  results(): CellResult[];
  inbound(port: number): number;
  expectedInbound(): number;
  selected(): Record<SelectionReason, number>;
  known(): number;
  findings(): Record<Severity, number> | null;
  /** ms since epoch of the last finished round, or null. */
  lastRound(): number | null;
}

export interface MetricsOptions {
  version: string;
  perPeer: boolean;
  /** Prometheus' default process/event-loop metrics (off in unit tests that count series). */
  defaults?: boolean;
}

/** Sub-millisecond buckets: a VTEP round trip on a LAN is tens to hundreds of microseconds. */
export const RTT_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.025, 0.1];
/** How often the event-loop lag histogram samples (ms); each sample is a wake-up of the process. */
export const EVENT_LOOP_SAMPLE_MS = 1000;

const DROPPED_DEFAULTS = [
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  'nodejs_gc_duration_seconds',
];

const REASONS: SelectionReason[] = ['ring', 'random', 'domain'];
const SEVERITIES: Severity[] = ['error', 'warning', 'info'];

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly probes: Counter<'port' | 'direction' | 'verdict'>;
  private readonly framesSent: Counter<'port' | 'direction'>;
  private readonly framesLost: Counter<'port' | 'direction'>;
  private readonly rtt: Histogram<'port'>;

  constructor(view: MetricsView, opts: MetricsOptions) {
    const registers = [this.registry];
    if (opts.defaults !== false) {
      // Event-loop lag sampled once a second, not prom-client's every 10 ms: the sampling timer
      // wakes the process each time, and at 100 ms it alone cost an idle process 20 ms of CPU
      // per 30 s, an eighth of the agent's budget (docs/agent.md, "Budgets"). A stall of a
      // second or more is always seen; shorter ones in proportion to their length.
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
      // Per-heap-space and per-GC-kind series are ~50 of the ~90 defaults and say nothing about the
      // overlay; process CPU/RSS/fds, heap totals and event-loop lag stay (series budget: docs/agent.md).
      for (const name of DROPPED_DEFAULTS) this.registry.removeSingleMetric(name);
    }
    new Gauge({
      name: 'vxprobe_peers',
      help: 'Selected peers by port, direction and current verdict (every combination present)',
      labelNames: ['port', 'direction', 'verdict'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const r of view.results()) counts.set(`${r.port}|${r.direction}|${r.verdict}`, (counts.get(`${r.port}|${r.direction}|${r.verdict}`) ?? 0) + 1);
        for (const port of view.ports) {
          for (const direction of DIRECTIONS) {
            for (const verdict of CELL_VERDICTS) this.set({ port, direction, verdict }, counts.get(`${port}|${direction}|${verdict}`) ?? 0);
          }
        }
      },
    });
    this.probes = new Counter({ name: 'vxprobe_probes_total', help: 'Probe rounds per port, direction and verdict', labelNames: ['port', 'direction', 'verdict'], registers });
    this.framesSent = new Counter({ name: 'vxprobe_probe_frames_sent_total', help: 'Probe frames sent (counted at the sending NIC)', labelNames: ['port', 'direction'], registers });
    this.framesLost = new Counter({ name: 'vxprobe_probe_frames_lost_total', help: 'Probe frames sent that never reached the receiving NIC', labelNames: ['port', 'direction'], registers });
    this.rtt = new Histogram({ name: 'vxprobe_probe_rtt_seconds', help: 'VTEP echo round trip through the overlay', labelNames: ['port'], buckets: RTT_BUCKETS, registers });
    for (const port of view.ports) {
      for (const direction of DIRECTIONS) {
        this.framesSent.inc({ port, direction }, 0);
        this.framesLost.inc({ port, direction }, 0);
      }
      this.rtt.zero({ port });
    }
    new Gauge({
      name: 'vxprobe_inbound_peers',
      help: 'Peers that paired with this node on the port within the last 3 intervals',
      labelNames: ['port'],
      registers,
      collect() {
        for (const port of view.ports) this.set({ port }, view.inbound(port));
      },
    });
    new Gauge({ name: 'vxprobe_expected_inbound_peers', help: 'Peers whose selection includes this node', registers, collect() { this.set(view.expectedInbound()); } });
    new Gauge({
      name: 'vxprobe_selected_peers',
      help: 'Peers this node probes, by why they were selected',
      labelNames: ['reason'],
      registers,
      collect() {
        const s = view.selected();
        for (const reason of REASONS) this.set({ reason }, s[reason]);
      },
    });
    new Gauge({ name: 'vxprobe_known_peers', help: 'Eligible nodes known from discovery (this node excluded)', registers, collect() { this.set(view.known()); } });
    new Gauge({
      name: 'vxprobe_inspect_findings',
      help: 'Findings of the last local audit (inspect against all known peers), by severity',
      labelNames: ['severity'],
      registers,
      collect() {
        const f = view.findings();
        for (const severity of SEVERITIES) this.set({ severity }, f ? f[severity] : 0);
      },
    });
    new Gauge({
      name: 'vxprobe_last_round_timestamp_seconds',
      help: 'When the last probe round finished (unix seconds; 0 before the first)',
      registers,
      collect() {
        const t = view.lastRound();
        this.set(t === null ? 0 : t / 1000);
      },
    });
    new Gauge({ name: 'vxprobe_build_info', help: 'vxprobe version', labelNames: ['version'], registers }).set({ version: opts.version }, 1);
    if (opts.perPeer) {
      new Gauge({
        name: 'vxprobe_peer_verdict',
        help: 'Current verdict per ring peer (1 for the verdict shown; only with --per-peer-metrics)',
        labelNames: ['peer', 'port', 'direction', 'verdict'],
        registers,
        collect() {
          this.reset();
          for (const r of view.results()) if (r.reason === 'ring') this.set({ peer: r.peer, port: r.port, direction: r.direction, verdict: r.verdict }, 1);
        },
      });
    }
  }

  countRound(port: number, direction: string, verdict: CellVerdict): void {
    this.probes.inc({ port, direction, verdict });
  }

  countFrames(port: number, direction: string, sent: number, lost: number): void {
    if (sent > 0) this.framesSent.inc({ port, direction }, sent);
    if (lost > 0) this.framesLost.inc({ port, direction }, lost);
  }

  observeRtt(port: number, seconds: number): void {
    this.rtt.observe({ port }, seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

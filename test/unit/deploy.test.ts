// deploy/ (kubectl apply -k) against the Kubernetes and Prometheus Operator
// schemas, the security posture the README promises, and the alert
// expressions against the agent's metric names (docs/shipping.md).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { parser } from '@prometheus-io/lezer-promql';
import { REPO } from '../helpers/ns-node.js';
import { render, type K8sObject } from '../helpers/kustomize.js';
import { agentContainer, daemonSetAgentCommand } from '../helpers/daemonset-args.js';

// The agent's metric names (issue 11's interface); histograms add _bucket/_sum/_count.
const AGENT_METRICS = [
  'vxprobe_peers', 'vxprobe_probes_total', 'vxprobe_probe_frames_sent_total', 'vxprobe_probe_frames_lost_total',
  'vxprobe_probe_rtt_seconds', 'vxprobe_inbound_peers', 'vxprobe_expected_inbound_peers', 'vxprobe_selected_peers',
  'vxprobe_known_peers', 'vxprobe_inspect_findings', 'vxprobe_last_round_timestamp_seconds', 'vxprobe_build_info',
];
const PROMETHEUS_BUILTINS = ['up'];
const LABELS = ['node', 'port', 'direction', 'verdict', 'severity', 'reason', 'version', 'job', 'instance', 'namespace', 'pod'];
// The agent's flags (issue 11) the DaemonSet may use.
const AGENT_FLAGS = ['--iface', '--ports', '--interval', '--peers', '--http', '--control-port', '--name', '--nodes', '--etcd', '--secret-file'];

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  Namespace, ServiceAccount, ClusterRole, ClusterRoleBinding, DaemonSet, PodMonitor, PrometheusRule,
} as unknown as Record<string, new (o: never) => { validate(): void }>;

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const objects = render();
const byKind = (kind: string): Any => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Any;
};

describe('deploy/ manifests', () => {
  it('hold exactly the objects a cluster needs, each valid against its schema', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'Namespace', 'PodMonitor', 'PrometheusRule', 'ServiceAccount'],
    );
    for (const o of objects) {
      const Model = MODELS[o.kind]!;
      expect(() => new Model(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
      if (o.kind !== 'Namespace' && !o.kind.startsWith('Cluster')) expect(o.metadata.namespace).toBe('vxprobe');
    }
  });

  it('the schema check bites: a malformed DaemonSet is rejected', () => {
    const broken = structuredClone(byKind('DaemonSet'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new DaemonSet(broken as never).validate()).toThrow(/containerPort/);
  });

  it('RBAC: the service account may only get, list and watch nodes', () => {
    expect(byKind('ClusterRole').rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }]);
    const binding = byKind('ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'vxprobe' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'vxprobe', namespace: 'vxprobe' }]);
    expect(byKind('DaemonSet').spec.template.spec.serviceAccountName).toBe(byKind('ServiceAccount').metadata.name);
  });

  it('the DaemonSet: host network, every taint tolerated, uid 0 with NET_RAW only, read-only root, RuntimeDefault seccomp', () => {
    const pod = byKind('DaemonSet').spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.securityContext.runAsUser).toBe(0);
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    const c = agentContainer() as Any;
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_RAW'] });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext.privileged).toBe(false);
    expect(c.resources.limits.cpu, 'no CPU limit: throttling skews probe timing').toBeUndefined();
    expect(c.resources.limits.memory).toMatch(/^\d+Mi$/);
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.requests.memory).toBeDefined();
    expect(c.image).toBe('localhost/vxprobe:' + (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('the DaemonSet: downward-API node name and IP, the secret from a Secret volume, readiness on /readyz', () => {
    const pod = byKind('DaemonSet').spec.template.spec;
    const c = agentContainer() as Any;
    const env = Object.fromEntries((c.env as Any[]).map((e) => [e.name, e]));
    expect(env.NODE_NAME.valueFrom).toEqual({ fieldRef: { fieldPath: 'spec.nodeName' } });
    expect(env.HOST_IP.valueFrom).toEqual({ fieldRef: { fieldPath: 'status.hostIP' } });
    const secretVol = (pod.volumes as Any[]).find((v) => v.secret)!;
    expect(secretVol.secret.secretName).toBe('vxprobe');
    expect(secretVol.secret.defaultMode & 0o077, 'secret readable by group/others').toBe(0);
    const mount = (c.volumeMounts as Any[]).find((m) => m.name === secretVol.name)!;
    expect(mount.readOnly).toBe(true);
    const args = c.args as string[];
    expect(args[args.indexOf('--secret-file') + 1]!.startsWith(mount.mountPath + '/')).toBe(true);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 9473 });
    expect(args[args.indexOf('--http') + 1]).toBe(':9473');
    expect((c.ports as Any[]).map((p) => `${p.name}=${p.containerPort}`)).toEqual(['http=9473', 'control=7473']);
    expect(args[args.indexOf('--control-port') + 1]).toBe('7473');
  });

  it("the DaemonSet's args use only the agent's flags, and every $(VAR) is defined", () => {
    const c = agentContainer() as Any;
    const flags = (c.args as string[]).filter((a) => a.startsWith('--'));
    for (const f of flags) expect(AGENT_FLAGS).toContain(f);
    const defined = new Set((c.env as Any[]).map((e) => e.name as string));
    for (const a of c.args as string[]) for (const m of a.matchAll(/\$\(([A-Z_]+)\)/g)) expect(defined).toContain(m[1]);
    // Once `vxprobe agent` is in the CLI, its own --help is the authority.
    const help = spawnSync(process.execPath, [join(REPO, 'bin', 'vxprobe'), 'agent', '--help'], { encoding: 'utf8' });
    if (help.status === 0 && /Usage: vxprobe agent/.test(help.stdout)) for (const f of flags) expect(help.stdout).toContain(f);
  });

  it('daemonSetAgentCommand gives a lab node the same command line, downward API filled in', () => {
    const cmd = daemonSetAgentCommand({ name: 'node-b', ip: '10.77.0.2' }, { paths: { '/etc/vxprobe/secret/secret': '/tmp/lab/secret' } });
    expect(cmd.argv[0]).toBe('agent');
    expect(cmd.argv).toEqual([
      'agent', '--ports', '8472,8475', '--interval', '30s', '--peers', '3', '--http', ':9473',
      '--control-port', '7473', '--name', 'node-b', '--secret-file', '/tmp/lab/secret',
    ]);
    expect(cmd.env).toMatchObject({ NODE_NAME: 'node-b', HOST_IP: '10.77.0.2' });
    expect(cmd.argv.join(' ')).not.toMatch(/\$\(/);
    const lab = daemonSetAgentCommand({ name: 'n1', ip: '10.0.0.1' }, { values: { '--interval': '2s' }, extraArgs: ['--nodes', '/tmp/nodes.json'] });
    expect(lab.argv.slice(lab.argv.indexOf('--interval'), lab.argv.indexOf('--interval') + 2)).toEqual(['--interval', '2s']);
    expect(lab.argv.slice(-2)).toEqual(['--nodes', '/tmp/nodes.json']);
    expect(() => daemonSetAgentCommand({ name: 'n1', ip: '10.0.0.1' }, { values: { '--per-peer-metrics': 'x' } })).toThrow(/does not set/);
  });

  it('the PodMonitor scrapes the agent pods on their http port and labels series with the node', () => {
    const pm = byKind('PodMonitor');
    const ds = byKind('DaemonSet');
    expect(pm.spec.selector.matchLabels).toEqual(ds.spec.template.metadata.labels);
    const ep = pm.spec.podMetricsEndpoints[0];
    expect((agentContainer() as Any).ports.map((p: Any) => p.name)).toContain(ep.port);
    expect(ep.path).toBe('/metrics');
    expect(ep.relabelings).toContainEqual({ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' });
  });
});

interface Parsed {
  errors: number;
  metrics: string[];
  labels: string[];
}
function parsePromql(expr: string): Parsed {
  const tree = parser.parse(expr);
  const out: Parsed = { errors: 0, metrics: [], labels: [] };
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) out.errors++;
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector') out.metrics.push(expr.slice(n.from, n.to));
      if (n.name === 'LabelName') out.labels.push(expr.slice(n.from, n.to));
    },
  });
  return out;
}

describe('deploy/prometheusrule.yaml', () => {
  const rules = (byKindSafe('PrometheusRule').spec.groups as Any[]).flatMap((g) => g.rules as Any[]);

  it('alerts on each failure an operator must hear about', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'VxprobeAgentStale', 'VxprobeNodeOverlayBroken', 'VxprobeNodeUnreachableInbound', 'VxprobeVtepTableDrift', 'VxprobeVxlanHijackedClusterWide',
    ]);
    for (const r of rules) {
      expect(r.for, r.alert).toMatch(/^\d+m$/);
      expect(['critical', 'warning']).toContain(r.labels.severity);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      expect(r.annotations.description, r.alert).toBeTruthy();
    }
  });

  it('every expression parses and uses only the agent metrics and labels', () => {
    for (const r of rules) {
      const p = parsePromql(r.expr as string);
      expect(p.errors, `${r.alert}: PromQL syntax error`).toBe(0);
      expect(p.metrics.length, r.alert).toBeGreaterThan(0);
      for (const m of p.metrics) expect([...AGENT_METRICS, ...PROMETHEUS_BUILTINS], `${r.alert} uses ${m}`).toContain(m);
      for (const l of p.labels) expect(LABELS, `${r.alert} uses label ${l}`).toContain(l);
    }
  });

  it('the checker bites: a typo in a metric name or a syntax error is caught', () => {
    expect(parsePromql('sum by (node (vxprobe_peers)').errors).toBeGreaterThan(0);
    expect(parsePromql('vxprobe_peer{verdict="ok"} > 0').metrics).toEqual(['vxprobe_peer']);
  });

  it("the metric names are the agent's own (when the agent is in this tree)", () => {
    const source = join(REPO, 'src', 'agent', 'metrics.ts');
    if (!existsSync(source)) return;
    const text = readFileSync(source, 'utf8');
    for (const m of AGENT_METRICS) expect(text, m).toContain(`'${m}'`);
  });
});

function byKindSafe(kind: string): Any {
  return objects.find((o: K8sObject) => o.kind === kind) as Any;
}

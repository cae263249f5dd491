// The agent's command line exactly as deploy/daemonset.yaml gives it, for a
// lab node: the kubelet's $(VAR) expansion over the container env, with the
// downward-API values (NODE_NAME, HOST_IP) of that node and the secret
// volume's mount path mapped to a file of the lab's. The lab mesh test starts
// its agents with these, plus its discovery flag (--nodes FILE or --etcd URL:
// the lab has no API server, the pod uses the in-cluster API).
import { render, type K8sObject } from './kustomize.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface LabNode {
  /** spec.nodeName */
  name: string;
  /** status.hostIP */
  ip: string;
}

export interface AgentCommand {
  /** argv after `vxprobe` (the image's entrypoint is `vxprobe agent`): ['agent', ...args]. */
  argv: string[];
  /** The container's environment, downward-API values substituted. */
  env: Record<string, string>;
}

export function agentContainer(): Container {
  const ds = render().find((o: K8sObject) => o.kind === 'DaemonSet')!;
  const spec = (ds as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec;
  return spec.template.spec.containers.find((c) => c.name === 'agent')!;
}

const FIELD_PATHS: Record<string, (n: LabNode) => string> = {
  'spec.nodeName': (n) => n.name,
  'status.hostIP': (n) => n.ip,
  'status.podIP': (n) => n.ip, // hostNetwork: the pod's IP is the node's
};

/** Kubernetes' rule: $(VAR) of a defined variable expands, $$ escapes, anything else stays. */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && name in env ? env[name]! : m;
  });
}

export interface LabAdjustments {
  /** Container paths → lab paths, e.g. { '/etc/vxprobe/secret/secret': '/tmp/x/secret' }. */
  paths?: Record<string, string>;
  /**
   * New values for flags the DaemonSet already sets, for test timing only
   * (e.g. { '--interval': '2s' }); a flag the DaemonSet does not set throws.
   */
  values?: Record<string, string>;
  /** Appended: what only the lab needs (discovery: --nodes FILE or --etcd URL). */
  extraArgs?: string[];
}

export function daemonSetAgentCommand(node: LabNode, adjust: LabAdjustments = {}): AgentCommand {
  const paths = adjust.paths ?? {};
  const c = agentContainer();
  if (c.command) throw new Error('the DaemonSet overrides the image entrypoint; the lab assumes `vxprobe agent`');
  const env: Record<string, string> = {};
  for (const v of c.env ?? []) {
    if (v.value !== undefined) env[v.name] = expand(v.value, env);
    else if (v.valueFrom?.fieldRef) {
      const field = FIELD_PATHS[v.valueFrom.fieldRef.fieldPath];
      if (!field) throw new Error(`no lab value for the downward-API field ${v.valueFrom.fieldRef.fieldPath}`);
      env[v.name] = field(node);
    } else throw new Error(`env ${v.name}: only value and fieldRef are mapped to the lab`);
  }
  const args = (c.args ?? []).map((a) => {
    const expanded = expand(a, env);
    return paths[expanded] ?? expanded;
  });
  for (const [flag, value] of Object.entries(adjust.values ?? {})) {
    const at = args.indexOf(flag);
    if (at < 0 || at + 1 >= args.length) throw new Error(`the DaemonSet does not set ${flag}`);
    args[at + 1] = value;
  }
  return { argv: ['agent', ...args, ...(adjust.extraArgs ?? [])], env };
}

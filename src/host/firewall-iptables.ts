// `iptables-save -c` / `iptables-legacy-save -c` -> normalised chains
// (FwChain): built-in chains with hook, priority and policy, user chains,
// and every rule with its target and the matches the overlay cares about.
// Options the rule layer cannot evaluate become 'unknown' matches
// (docs/architecture.md, "Firewall semantics").
import type { FwAction, FwChain, FwMatch, FwRule } from './types.js';

const HOOKS: Record<string, string> = {
  PREROUTING: 'prerouting',
  INPUT: 'input',
  FORWARD: 'forward',
  OUTPUT: 'output',
  POSTROUTING: 'postrouting',
};

/** The netfilter priorities of iptables' tables (NF_IP_PRI_*). */
const TABLE_PRIORITY: Record<string, number> = { raw: -300, mangle: -150, nat: -100, filter: 0, security: 50 };

export function tokenize(text: string): string[] {
  return text.match(/"(?:[^"\\]|\\.)*"|\S+/g)?.map((t) => (t.startsWith('"') ? t.slice(1, -1) : t)) ?? [];
}

/** iptables port lists: '8472', '8000:8100', 'a,b:c'. */
function ports(spec: string): string[] {
  return spec.split(',').map((p) => p.replace(':', '-'));
}

/** Options that take one argument and do not select packets. */
const NO_SELECT_WITH_ARG = new Set(['--comment', '--reject-with', '--log-prefix', '--log-level', '--set-mark', '--set-xmark', '--to-destination', '--to-source', '--to-ports']);
/** Modules that only give access to options handled here. */
const PLAIN_MODULES = new Set(['udp', 'tcp', 'comment', 'multiport', 'conntrack', 'state', 'mark', 'addrtype']);

function targetAction(target: string, isGoto: boolean): FwAction {
  if (isGoto) return { kind: 'goto', target };
  if (target === 'ACCEPT') return { kind: 'accept', target: null };
  if (target === 'DROP') return { kind: 'drop', target: null };
  if (target === 'REJECT') return { kind: 'reject', target: null };
  if (target === 'RETURN') return { kind: 'return', target: null };
  if (['LOG', 'MARK', 'CONNMARK', 'NFLOG', 'CT', 'NOTRACK', 'CHECKSUM', 'TCPMSS', 'TRACE'].includes(target)) return { kind: 'continue', target: null };
  if (/^[A-Z]+$/.test(target) && ['NFQUEUE', 'QUEUE', 'SNAT', 'DNAT', 'MASQUERADE', 'REDIRECT', 'TPROXY'].includes(target)) return { kind: 'unknown', target };
  return { kind: 'jump', target };
}

/** One `-A CHAIN ...` spec (after the chain name) as matches and an action. */
export function parseIptablesRule(spec: string[]): { matches: FwMatch[]; action: FwAction } {
  const matches: FwMatch[] = [];
  let action: FwAction = { kind: 'continue', target: null };
  let neg = false;
  const unknownModules = new Set<string>();
  const push = (field: FwMatch['field'], values: string[]) => {
    matches.push({ field, neg, values });
    neg = false;
  };
  for (let i = 0; i < spec.length; i++) {
    const tok = spec[i]!;
    const arg = spec[i + 1] ?? '';
    if (tok === '!') {
      neg = true;
      continue;
    }
    switch (tok) {
      case '-p':
      case '--protocol':
        push('proto', [arg.toLowerCase()]);
        i++;
        continue;
      case '-s':
      case '--source':
        push('saddr', arg.split(','));
        i++;
        continue;
      case '-d':
      case '--destination':
        push('daddr', arg.split(','));
        i++;
        continue;
      case '-i':
      case '--in-interface':
        push('iif', [arg]);
        i++;
        continue;
      case '-o':
      case '--out-interface':
        push('oif', [arg]);
        i++;
        continue;
      case '--dport':
      case '--destination-port':
      case '--dports':
      case '--destination-ports':
        push('dport', ports(arg));
        i++;
        continue;
      case '--sport':
      case '--source-port':
      case '--sports':
      case '--source-ports':
        push('sport', ports(arg));
        i++;
        continue;
      case '--ctstate':
      case '--state':
        push('ctstate', arg.toLowerCase().split(','));
        i++;
        continue;
      case '--mark': {
        const [v, m] = arg.split('/');
        push('mark', [`0x${Number(v).toString(16)}/0x${(m === undefined ? 0xffffffff : Number(m)).toString(16)}`]);
        i++;
        continue;
      }
      case '--dst-type':
        push('addrtype-dst', [arg.toUpperCase()]);
        i++;
        continue;
      case '-m':
      case '--match':
        if (!PLAIN_MODULES.has(arg)) unknownModules.add(arg);
        i++;
        continue;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto':
        // iptables-save prints the target last; what follows are its own options.
        action = targetAction(arg, tok === '-g' || tok === '--goto');
        i = spec.length;
        continue;
    }
    if (NO_SELECT_WITH_ARG.has(tok)) {
      i++;
      continue;
    }
    if (tok.startsWith('-')) {
      // An option of a module we do not evaluate: it and its arguments select only some packets.
      const args: string[] = [];
      while (spec[i + 1] !== undefined && !spec[i + 1]!.startsWith('-') && spec[i + 1] !== '!') args.push(spec[++i]!);
      push('unknown', [[tok, ...args].join(' ')]);
      continue;
    }
  }
  for (const m of unknownModules) {
    if (!matches.some((x) => x.field === 'unknown')) matches.push({ field: 'unknown', neg: false, values: [`-m ${m}`] });
  }
  return { matches, action };
}

/** Parses every table of `iptables-save -c` output except nat (it never drops). */
export function parseIptablesChains(text: string, backend: 'iptables-nft' | 'iptables-legacy'): FwChain[] {
  let table = '';
  const chains = new Map<string, FwChain>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    if (table === 'nat' || table === '') continue;
    const decl = /^:(\S+) (\S+)/.exec(line);
    if (decl) {
      const [, name = '', policy = '-'] = decl;
      const hook = HOOKS[name] ?? null;
      chains.set(`${table} ${name}`, {
        backend,
        family: 'ip',
        table,
        name,
        hook,
        priority: hook ? (TABLE_PRIORITY[table] ?? 0) : null,
        type: table,
        policy: hook ? (policy === 'DROP' ? 'drop' : 'accept') : null,
        rules: [],
      });
      continue;
    }
    const m = /^(?:\[(\d+):\d+\]\s+)?-A (\S+) (.*)$/.exec(line);
    if (!m) continue;
    const [, pkts, chain = '', spec = ''] = m;
    const { matches, action } = parseIptablesRule(tokenize(spec));
    const rule: FwRule = { matches, action, text: `-A ${chain} ${spec}`, packets: pkts === undefined ? null : Number(pkts), handle: null };
    chains.get(`${table} ${chain}`)?.rules.push(rule);
  }
  return [...chains.values()];
}

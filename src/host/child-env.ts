// The environment for every child process we start (nft, iptables-save, ip,
// ...): ours minus the shared secret, which no other program needs
// (docs/threat-model.md, "The secret").
export const SECRET_ENV_NAMES = ['VXPROBE_SECRET'] as const;

export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of SECRET_ENV_NAMES) delete env[name];
  return env;
}

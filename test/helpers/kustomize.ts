// Renders deploy/ the way `kubectl apply -k deploy/` does, for the features the
// kustomization uses (namespace, resources, images); any other field makes
// render() throw, so this stays faithful as deploy/ changes. No kubectl needed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from './ns-node.js';

export const DEPLOY = join(REPO, 'deploy');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface Kustomization {
  apiVersion: string;
  kind: string;
  namespace?: string;
  resources: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

export function loadYamlDocs(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${path}: ${d.errors[0]!.message}`);
    return d.toJS() as K8sObject;
  });
}

export function kustomization(): Kustomization {
  return loadYamlDocs(join(DEPLOY, 'kustomization.yaml'))[0] as unknown as Kustomization;
}

/** Every object `kubectl apply -k deploy/` creates. */
export function render(): K8sObject[] {
  const k = kustomization();
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0) throw new Error(`kustomization.yaml uses ${unsupported.join(', ')}: teach test/helpers/kustomize.ts`);
  const objects = k.resources.flatMap((r) => loadYamlDocs(join(DEPLOY, r)));
  for (const o of objects) {
    if (k.namespace && !CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
    for (const subject of (o as { subjects?: Array<{ kind: string; namespace?: string }> }).subjects ?? []) {
      if (k.namespace && subject.kind === 'ServiceAccount') subject.namespace = k.namespace;
    }
    const spec = (o as { spec?: { template?: { spec?: { containers?: Array<{ image: string }> } } } }).spec;
    for (const c of spec?.template?.spec?.containers ?? []) {
      const [name, tag] = c.image.split(':') as [string, string | undefined];
      const img = k.images?.find((i) => i.name === name);
      if (img) c.image = `${img.newName ?? name}:${img.newTag ?? tag ?? 'latest'}`;
    }
  }
  return objects;
}

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kinds } from '../../src/api/index.ts';
import { customResourceDefinition, renderCrdFiles } from '../../src/api/crd.ts';

const crdDir = join(import.meta.dirname, '..', '..', 'crds');

type Schema = { [key: string]: unknown };

/** Paths of properties that have no description, so `kubectl explain` would show nothing. */
function undescribed(schema: Schema, path: string): string[] {
  const missing: string[] = [];
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  for (const [name, child] of Object.entries(properties)) {
    const childPath = `${path}.${name}`;
    if (typeof child.description !== 'string' || child.description.length === 0) missing.push(childPath);
    missing.push(...undescribed(child, childPath));
    if (child.items) missing.push(...undescribed(child.items as Schema, `${childPath}[]`));
  }
  return missing;
}

function openApi(kind: string): Schema {
  const def = kinds.find((k) => k.kind === kind)!;
  const crd = customResourceDefinition(def) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

describe('generated CRDs', () => {
  it('crds/ matches a fresh generation from src/api (run `npm run generate`)', () => {
    const fresh = renderCrdFiles(kinds);
    expect(readdirSync(crdDir).sort()).toEqual([...fresh.keys()].sort());
    for (const [name, text] of fresh) expect(readFileSync(join(crdDir, name), 'utf8'), name).toBe(text);
  });

  it.each(kinds.map((k) => k.kind))('%s describes every spec and status field', (kind) => {
    const root = openApi(kind);
    const properties = root.properties as Record<string, Schema>;
    expect(undescribed(properties.spec!, 'spec')).toEqual([]);
    expect(undescribed(properties.status!, 'status')).toEqual([]);
  });

  it('emits a structural schema: no closed objects, no 2^53 integer bounds', () => {
    const text = JSON.stringify(kinds.map(customResourceDefinition));
    expect(text).not.toContain('"additionalProperties":false');
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
    expect(text).not.toContain('$schema');
  });

  it('carries defaults and CEL rules into the schema', () => {
    const spec = (openApi('ControlPlane').properties as Record<string, Schema>).spec!;
    const props = spec.properties as Record<string, Schema>;
    expect(props.replicas!.default).toBe(1);
    expect(JSON.stringify(props.replicas!['x-kubernetes-validations'])).toContain('self % 2 == 1');
    expect(JSON.stringify(props.clusterNetwork!['x-kubernetes-validations'])).toContain('containsCIDR');
    expect(spec.required).toEqual(expect.arrayContaining(['version', 'hostSelector']));
  });
});

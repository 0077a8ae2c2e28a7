import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runHelm } from '../../../packages/helm/src/index.ts';

/** Repository directory holding the four charts and the examples. */
export const chartsDir = new URL('../..', import.meta.url).pathname;
export const examplesDir = join(chartsDir, 'examples');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are arbitrary JSON checked by the tests
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are arbitrary JSON checked by the tests
  [key: string]: any;
}

export interface RenderResult {
  status: number;
  stderr: string;
  objects: K8sObject[];
}

/**
 * A private copy of charts/ with the wrapper charts' file:// dependencies built, so tests never write into
 * the work tree and two test files never race on charts/<wrapper>/charts/*.tgz.
 */
export class ChartWorkspace {
  readonly dir: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'dalp-charts-'));
    cpSync(chartsDir, this.dir, {
      recursive: true,
      filter: (src) =>
        !src.includes(`${join(chartsDir, 'tests')}`) && !/\/dalp-(local|staging)\/charts(\/|$)/.test(src),
    });
    for (const wrapper of ['dalp-local', 'dalp-staging']) {
      const built = runHelm(['dependency', 'build', join(this.dir, wrapper)]);
      if (built.status !== 0) throw new Error(`helm dependency build ${wrapper} failed: ${built.stderr}`);
    }
  }

  chart(name: string): string {
    return join(this.dir, name);
  }

  /** `helm template` with the given values files (relative to charts/) and --set pairs. */
  render(
    chart: string,
    options: { values?: string[]; set?: Record<string, string>; release?: string } = {},
  ): RenderResult {
    const args = ['template', options.release ?? 'dalp', this.chart(chart), '--namespace', 'dalp'];
    for (const file of options.values ?? []) args.push('--values', join(this.dir, file));
    for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${value}`);
    const result = runHelm(args);
    const objects: K8sObject[] = [];
    if (result.status === 0) {
      for (const doc of parseAllDocuments(result.stdout)) {
        if (doc.errors.length > 0)
          throw new Error(`helm template produced invalid YAML: ${doc.errors[0]?.message}`);
        const value = doc.toJS() as K8sObject | null;
        if (value) objects.push(value);
      }
    }
    return { status: result.status, stderr: result.stderr, objects };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = find(objects, kind, name);
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

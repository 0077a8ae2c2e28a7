import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCheck } from '../../src/engine.ts';
import { loadControls } from '../../src/loaders/controls.ts';
import { loadManifestPaths } from '../../src/loaders/manifests.ts';
import { validateObjects } from '../../src/loaders/validate.ts';
import type { RenderCompleteness } from '../../src/model/render.ts';
import type { Severity } from '../../src/model/severity.ts';
import type { CheckReport } from '../../src/report.ts';
import { type CheckOptions, DEFAULT_OPTIONS, type Profile } from '../../src/score/context.ts';

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

export interface FixtureMeta {
  clusterState?: boolean;
  profile?: Profile;
  now?: string;
  failSeverity?: Severity;
  controls?: { pass: string; fail: string };
  /** What a chart loader would report about the render (rules about the input, not the objects). */
  render?: { pass: RenderCompleteness; fail: RenderCompleteness };
}

export function ruleFixtureDir(rule: string): string {
  return join(FIXTURES, 'rules', rule);
}

export function fixtureMeta(rule: string): FixtureMeta {
  const file = join(ruleFixtureDir(rule), 'meta.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FixtureMeta) : {};
}

/** The pass or fail fixture of a rule (YAML manifests or a JSON dump), checked with its meta options. */
export function checkFixture(rule: string, which: 'pass' | 'fail'): CheckReport {
  const dir = ruleFixtureDir(rule);
  const meta = fixtureMeta(rule);
  const file = existsSync(join(dir, `${which}.yaml`))
    ? join(dir, `${which}.yaml`)
    : join(dir, `${which}.json`);
  const loaded = loadManifestPaths([file], () => '');
  validateObjects(loaded); // fixtures must be objects an API server would accept
  const options: CheckOptions = {
    ...DEFAULT_OPTIONS,
    now: new Date(meta.now ?? '2026-11-25T12:00:00Z'),
    profile: meta.profile ?? 'production',
    clusterState: meta.clusterState ?? false,
  };
  if (meta.controls) options.controls = loadControls(join(dir, meta.controls[which]));
  if (meta.render) options.render = meta.render[which];
  return runCheck(loaded.objects, options, loaded.sources);
}

export function checkFiles(files: string[], overrides: Partial<CheckOptions> = {}): CheckReport {
  const loaded = loadManifestPaths(files, () => '');
  validateObjects(loaded);
  return runCheck(
    loaded.objects,
    { ...DEFAULT_OPTIONS, now: new Date('2026-11-25T12:00:00Z'), ...overrides },
    loaded.sources,
  );
}

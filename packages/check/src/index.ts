// The public face of @dalp/check, used by the `dalp` CLI: loaders -> runCheck (score/) -> reporters.
export { runCheck, SKIP_ANNOTATION, SKIP_REASON_ANNOTATION } from './engine.ts';
export { InputError } from './errors.ts';
export { type ChartInput, isChartDir, renderChart } from './loaders/chart.ts';
export { type ClusterInput, loadCluster, loadKubeConfig } from './loaders/cluster.ts';
export { loadControls } from './loaders/controls.ts';
export { loadDump } from './loaders/dump.ts';
export { type LoadedObjects, loadManifestPaths, parseManifests } from './loaders/manifests.ts';
export { validateObjects } from './loaders/validate.ts';
export { CATEGORIES, type Category, TABLE_CATEGORIES } from './model/categories.ts';
export type { Controls } from './model/controls.ts';
export type { KubeObject, ObjectRef, SourceLocation } from './model/objects.ts';
export type { RuleDescription } from './model/rule-description.ts';
export type { Severity } from './model/severity.ts';
export { type CheckReport, exitCodeFor, type Finding, summarize } from './report.ts';
export { FORMATS, type Format, render } from './reporters/index.ts';
export {
  type CheckOptions,
  DEFAULT_OPTIONS,
  type NamespaceScope,
  type Profile,
  SYSTEM_NAMESPACES,
} from './score/context.ts';
export { RULES } from './score/registry.ts';
export type { Rule } from './score/rule.ts';

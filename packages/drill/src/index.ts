// `@dalp/drill`: recovery drills measured from the client side. The CLI (`dalp drill`) and the tests use
// this entry; the workload and the ledger measures are also what apps/dapp's failover tests run.
export { EVIDENCE_KIND, EVIDENCE_VERSION, type Evidence } from './evidence/evidence.ts';
export { EVIDENCE_SCHEMA_PATH, evidenceProblems } from './evidence/schema.ts';
export { headline, renderSummary } from './evidence/summary.ts';
export { OUTPUT_FILES, writeOutputs } from './evidence/write.ts';
export {
  type Acknowledged,
  acknowledgedOf,
  apiLedgerReader,
  type Books,
  type LedgerFindings,
  type LedgerReader,
  type Sql,
  sqlLedgerReader,
  verifyLedger,
} from './measure/ledger.ts';
export { type ReadinessWatch, watchReadiness } from './measure/readiness.ts';
export { median, quantile } from './measure/stats.ts';
export { type Measures, measure } from './measures.ts';
export type { DrillEvent, OperationKind, Phase, RequestSample } from './model.ts';
export { type Progress, SILENT, terminalProgress } from './progress.ts';
export { DrillUsageError, SCENARIOS, scenario, selectScenarios } from './registry.ts';
export { renderReport } from './report/html.ts';
export { DEFAULT_RUN, type DrillRecord, type RunOptions, runDrill, runDrills, summaryLine } from './run.ts';
export { DEFAULT_SCENARIO_OPTIONS, type Scenario, type ScenarioOptions } from './scenario.ts';
export { type KubernetesOptions, KubernetesTarget, KubernetesTargetError } from './targets/kubernetes.ts';
export { LabTarget } from './targets/lab.ts';
export type { Target, TopologyRow } from './targets/target.ts';
export { judge, parseThreshold, THRESHOLD_NAMES, type ThresholdName, type Thresholds } from './verdict.ts';
export { type ApiEndpoint, call } from './workload/api.ts';
export { DEFAULT_WORKLOAD, DrillWorkload, type WorkloadOptions } from './workload/drill-workload.ts';
export { type LedgerWorkloadResult, runLedgerWorkload } from './workload/ledger-workload.ts';
export { type Ledger, seedLedger } from './workload/seed.ts';

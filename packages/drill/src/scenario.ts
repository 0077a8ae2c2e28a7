// A scenario is data plus one fault per target (Chaos Toolkit's experiment: a method and its rollback):
// which row of the source document it proves, which readiness controls it is the recovery test of, its
// default thresholds, and for each target how to inject the fault and how to undo it. Everything else
// (workload, measures, verdict, evidence) is the same code for every scenario, so a new one (issue 16's
// restores and credential rotation) is a file in scenarios/ and a line in the registry.
import type { DrillEvent, RequestSample } from './model.ts';
import type { KubernetesTarget } from './targets/kubernetes.ts';
import type { LabTarget } from './targets/lab.ts';
import type { Check, RestoreOutcome, Thresholds } from './verdict.ts';

/** The rows of the source document's "Recovery expectations" table. */
export type RecoveryRow =
  | 'Pod failure'
  | 'Node failure'
  | 'Zone failure'
  | 'Database failure'
  | 'Cluster resource loss';

/** The rows of its "Production readiness checks" table (the controls `dalp check --controls` reads). */
export type ControlRow =
  | 'Replica posture'
  | 'Scheduling posture'
  | 'Managed PostgreSQL'
  | 'Managed cache'
  | 'Object storage'
  | 'Kubernetes resources'
  | 'Observability';

/** What the user passes to every scenario (CLI flags). */
export interface ScenarioOptions {
  /** A shell command that injects the fault (Kubernetes target: data-service failovers). */
  faultCommand?: string;
  /** A shell command that undoes it, where the fault lasts until undone. */
  restoreCommand?: string;
  /** How long a lasting fault (partition, power-off, outage) is held at most before it is undone. */
  holdMs: number;
}

export const DEFAULT_SCENARIO_OPTIONS: ScenarioOptions = { holdMs: 60_000 };

/** What a fault can use while it runs. */
export interface FaultContext {
  options: ScenarioOptions;
  /** Records something the fault did or saw, on the drill's clock (shown in the report). */
  note(kind: DrillEvent['kind'], detail: string, subject?: string): void;
  /**
   * Resolves once the workload had a write acknowledged that started after `since` (the platform rides
   * the fault out), or after `timeoutMs`; true when writes came back.
   */
  writesBack(since: number, timeoutMs: number): Promise<boolean>;
  /** Records a measure only this scenario has (a restore's duration...), kept in the evidence. */
  record(name: string, value: number | string, unit?: string): void;
  /** Adds a check of the scenario's own to the verdict (a failed one fails the drill). */
  verify(check: Check): void;
  /** The drill's asset (the restore drills look its journal up in the restored database). */
  readonly assetId: string;
  /** The workload's request records so far. */
  samples(): readonly RequestSample[];
  /** Hands over what a restore drill found on the restored database; judged with the other checks. */
  restored(outcome: RestoreOutcome): void;
}

export interface TargetFault<T> {
  /** The fault is whatever `--fault-command` does (the target's API cannot cause it). */
  needsFaultCommand?: boolean;
  /** Injects the fault, holds it while it lasts, and resolves. */
  inject(target: T, ctx: FaultContext): Promise<void>;
  /** Undoes whatever the fault left (heal, power on, restart a killed service); runs after an error too. */
  restore?(target: T, ctx: FaultContext): Promise<void>;
}

export interface Scenario {
  id: string;
  /** One line: the fault, as the evidence and the report show it. */
  title: string;
  documentRow: RecoveryRow;
  controls: readonly ControlRow[];
  /** The data service whose failover this is: the application's share is measured for it. */
  dataService?: 'postgres' | 'redis';
  thresholds: Partial<Thresholds>;
  lab?: TargetFault<LabTarget>;
  kubernetes?: TargetFault<KubernetesTarget>;
}

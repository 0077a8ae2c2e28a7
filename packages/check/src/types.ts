// The vocabulary shared by loaders, rules and reporters.

/** Rows of the source document's "Production readiness checks" table, plus the three the document asks for elsewhere. */
export const ROWS = [
  'Replica posture',
  'Scheduling posture',
  'Probes and lifecycle',
  'Resources',
  'Managed PostgreSQL',
  'Managed cache',
  'Object storage',
  'Kubernetes resources',
  'Observability',
  'Security',
] as const;
export type Row = (typeof ROWS)[number];

/** The seven rows of the document's table: the ones a controls (evidence) file must cover. */
export const TABLE_ROWS: readonly Row[] = [
  'Replica posture',
  'Scheduling posture',
  'Managed PostgreSQL',
  'Managed cache',
  'Object storage',
  'Kubernetes resources',
  'Observability',
];

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

export type Profile = 'production' | 'staging' | 'local';

/** Any Kubernetes object as parsed; rules read it defensively. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion?: string;
      kind?: string;
      name?: string;
      uid?: string;
      controller?: boolean;
    }>;
    [key: string]: unknown;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are untyped input; rules narrow what they read.
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  status?: any;
  [key: string]: unknown;
}

export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
}

/** Where an object came from, for SARIF and for humans. */
export interface SourceLocation {
  file: string;
  line?: number;
}

export interface Finding {
  rule: string;
  row: Row;
  severity: Severity;
  object: ObjectRef;
  message: string;
  fix: string;
  source?: SourceLocation;
}

/** One evaluation of a rule against one object: a pass, or exactly one finding. */
export interface RuleResult {
  object: ObjectRef;
  /** Absent when the object passes. */
  finding?: {
    message: string;
    severity?: Severity;
    row?: Row;
    fix?: string;
  };
}

export interface Rule {
  id: string;
  /** The row(s) this rule serves; a finding uses the first unless it names one. */
  rows: readonly Row[];
  severity: Severity;
  title: string;
  why: string;
  fix: string;
  /** Needs node and pod state (a dump or a live cluster). */
  needsClusterState?: boolean;
  /** Only meaningful when a controls file is given. */
  needsControls?: boolean;
  check(ctx: import('./context.ts').CheckContext): RuleResult[];
}

export interface CheckReport {
  summary: { errors: number; warnings: number; passed: number };
  findings: Finding[];
  /** Every evaluation, so JUnit can emit one test case per rule and object. */
  results: Array<{ rule: string; row: Row; object: ObjectRef; finding?: Finding }>;
  /** Object counts by kind, for the text summary. */
  objectCount: number;
}

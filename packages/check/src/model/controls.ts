import type { Category } from './categories.ts';

// The evidence file behind the document's "every control needs an owner, an alert and a recovery test",
// as the loader (loaders/controls.ts) reads it. Format documented in docs/controls.md.

export interface RecoveryTest {
  name: string;
  date?: Date;
  result?: 'pass' | 'fail';
  evidence?: string;
  /** Why this test cannot count (unreadable evidence file, missing date...). */
  problem?: string;
}

export interface CategoryControls {
  owner?: string;
  alerts: string[];
  recoveryTests: RecoveryTest[];
}

/** A backup the cloud provider takes (managed PostgreSQL snapshots and PITR, object versioning...). */
export interface ProviderBackup {
  name: string;
  /** The alert that pages when it fails or goes stale. */
  alert: string;
  /** Where that alert lives when it is not among the checked PrometheusRules (a CloudWatch alarm...). */
  monitoredBy?: string;
}

export interface Controls {
  file: string;
  /** Backups outside Kubernetes that count for the observability row's "backup status" without Velero. */
  providerBackups?: ProviderBackup[];
  recovery?: {
    method: 'gitops' | 'velero' | 'other';
    repository?: string;
    path?: string;
    description?: string;
  };
  /** Keyed by the table row (the file's `rows:` section). */
  categories: Partial<Record<Category, CategoryControls>>;
}

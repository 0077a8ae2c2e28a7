// What a rule serves: the rows of the source document's "Production readiness checks" table, plus the
// three it asks for elsewhere (probes, resources, security), after Input: what the check could not see.
// Reports group findings by these, in this order.

export const CATEGORIES = [
  'Input',
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
export type Category = (typeof CATEGORIES)[number];

/** The categories that are rows of the document's table: the ones a controls (evidence) file must cover. */
export const TABLE_CATEGORIES: readonly Category[] = [
  'Replica posture',
  'Scheduling posture',
  'Managed PostgreSQL',
  'Managed cache',
  'Object storage',
  'Kubernetes resources',
  'Observability',
];

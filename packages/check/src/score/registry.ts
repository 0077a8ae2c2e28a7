// Every rule, in the order reports and docs/checks.md list them: one folder per area, each listing its
// own rules in its index.ts. A new rule goes into its area's folder and that folder's list.
import { rules as datastores } from './datastores/index.ts';
import { rules as evidence } from './evidence/index.ts';
import { rules as input } from './input/index.ts';
import { rules as lifecycle } from './lifecycle/index.ts';
import { rules as observability } from './observability/index.ts';
import { rules as recovery } from './recovery/index.ts';
import { rules as replicas } from './replicas/index.ts';
import { rules as resources } from './resources/index.ts';
import type { Rule } from './rule.ts';
import { rules as scheduling } from './scheduling/index.ts';
import { rules as security } from './security/index.ts';

export const RULES: readonly Rule[] = [
  ...input,
  ...replicas,
  ...scheduling,
  ...lifecycle,
  ...resources,
  ...datastores,
  ...recovery,
  ...observability,
  ...security,
  ...evidence,
];

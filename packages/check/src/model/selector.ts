// Label selector semantics of the Kubernetes API (matchLabels AND matchExpressions).

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** True when the selector selects the labels. An empty selector selects everything, as in policy/v1 PDBs. */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string> = {},
): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, expr.key);
    const value = labels[expr.key];
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      // Node selector operators, used by node affinity terms.
      case 'Gt':
      case 'Lt': {
        if (!has) return false;
        const n = Number(value);
        const bound = Number(values[0]);
        if (!Number.isFinite(n) || !Number.isFinite(bound)) return false;
        if (expr.operator === 'Gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

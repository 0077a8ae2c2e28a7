import type { Category } from '../../model/categories.ts';
import { refOf } from '../../model/objects.ts';
import { fail, pass } from '../internal/result.ts';
import { EVERY_CLASS, mainContainers } from '../internal/workloads.ts';
import type { Rule, RuleResult } from '../rule.ts';

const SECRET_NAME =
  /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|(^|_)(API_?)?KEY$|PRIVATE_?KEY|ACCESS_?KEY$|CONNECTION_STRING)/i;
/** Names that hold a reference to a secret (a path, an id, a name), not the secret itself. */
const NOT_SECRET =
  /(_FILE|_PATH|_DIR|_ID|_NAME|_REF|_ARN|_URL_FILE|_TTL|_SECONDS|_MS|_ENABLED|_LENGTH|_HEADER)$/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:[^/@\s]+@/i;
/** A switch about a credential (ALLOW_EMPTY_PASSWORD: "no"), not a credential. */
const FLAG_VALUE = /^(yes|no|true|false|on|off|enabled?|disabled?|0|1)$/i;

function categoryFor(name: string): Category {
  if (/(DATABASE|^DB_|^PG|POSTGRES)/i.test(name)) return 'Managed PostgreSQL';
  if (/(CACHE|REDIS|VALKEY|SENTINEL)/i.test(name)) return 'Managed cache';
  if (/(^S3_|AZURE_STORAGE|OBJECT_STORE|BUCKET|BLOB|AWS_SECRET)/i.test(name)) return 'Object storage';
  return 'Security';
}

/** Names only, never values: reports must not leak the secrets they complain about. */
function plainSecrets(pairs: Array<[string, string]>): string[] {
  return pairs
    .filter(
      ([name, value]) =>
        value !== '' &&
        ((SECRET_NAME.test(name) && !NOT_SECRET.test(name) && !FLAG_VALUE.test(value.trim())) ||
          URL_WITH_PASSWORD.test(value)),
    )
    .map(([name]) => name);
}

export const rule: Rule = {
  id: 'credentials-plain',
  categories: ['Managed PostgreSQL', 'Managed cache', 'Object storage', 'Security'],
  severity: 'error',
  title: 'Credentials come from Secrets, not plain values',
  why: 'A password in an env value or a ConfigMap is readable by anyone who can read the Deployment (and ends up in Git, Helm release history and dumps); the document asks for credentials through an existing secret. Judged by name (PASSWORD, TOKEN, *_KEY...) and by passwords inside URLs; values that are switches (yes/no, true/false, 0/1) are not credentials.',
  fix: 'Move the value into a Secret (or an external secret operator) and reference it with valueFrom.secretKeyRef or envFrom.secretRef; for cloud object storage prefer workload identity (IRSA, Azure/GCP workload identity) over static keys.',
  appliesTo: EVERY_CLASS,
  check(ctx) {
    const results: RuleResult[] = [];
    for (const w of ctx.workloadsOf(EVERY_CLASS)) {
      const names: string[] = [];
      for (const c of mainContainers(w)) {
        const literals: Array<[string, string]> = (c?.env ?? [])
          .filter((e: { value?: unknown; valueFrom?: unknown }) => e?.value !== undefined && !e.valueFrom)
          .map((e: { name: string; value: unknown }) => [e.name, String(e.value)]);
        names.push(...plainSecrets(literals).map((n) => `${c.name}: ${n}`));
      }
      const category = names.length > 0 ? categoryFor(names[0]!.split(': ')[1] ?? '') : undefined;
      results.push(
        names.length === 0
          ? pass(w.ref)
          : fail(w.ref, `credentials as plain env values: ${names.join(', ')}`, category ? { category } : {}),
      );
    }
    for (const cm of ctx.scoped('ConfigMap')) {
      const data = (cm.data ?? {}) as Record<string, unknown>;
      const names = plainSecrets(Object.entries(data).map(([k, v]) => [k, String(v)]));
      // A ConfigMap holding config files is common; only key-value style keys are judged.
      if (names.length === 0) continue;
      results.push(
        fail(refOf(cm), `credentials in ConfigMap keys: ${names.join(', ')}`, {
          category: categoryFor(names[0]!),
        }),
      );
    }
    return results;
  },
};

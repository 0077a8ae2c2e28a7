import { envOf, hostOf, inClusterNames, pointsAt } from '../../model/env.ts';
import { isBundled } from '../internal/data-services.ts';
import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING, mainContainers } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

const WEAK_MODES = new Set(['disable', 'allow', 'prefer']);

export const rule: Rule = {
  id: 'database-tls',
  categories: ['Managed PostgreSQL'],
  severity: 'error',
  title: 'Database connections require TLS',
  why: 'Managed PostgreSQL is reached over the provider network; without sslmode require (verify-full is best) credentials and ledger data travel in clear, and "prefer" silently falls back to plain text. The dapp default for DATABASE_SSLMODE is disable.',
  fix: 'Set DATABASE_SSLMODE (or PGSSLMODE, or sslmode= in the URL) to verify-full with DATABASE_SSLROOTCERT, or at least require.',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    const bundledNames = inClusterNames(
      ctx,
      ctx.workloads.filter((w) => isBundled(w, 'postgresql')),
    );
    const results = [];
    for (const w of ctx.workloadsOf(LONG_RUNNING)) {
      if (isBundled(w, 'postgresql')) continue;
      const problems: string[] = [];
      let usesDatabase = false;
      for (const c of mainContainers(w)) {
        const env = envOf(ctx, w, c);
        const modeVar = [...env.keys()].find((k) => /(^|_)(DATABASE|DB|PG|POSTGRES(QL)?)_?SSLMODE$/i.test(k));
        const mode = modeVar ? env.get(modeVar)?.value?.toLowerCase() : undefined;
        const urls = [...env].filter(([, v]) => /^postgres(ql)?:\/\//i.test(v.value ?? ''));
        const hostVar = [...env.keys()].find((k) =>
          /^(DATABASE_HOST|DB_HOST|PGHOST|POSTGRES(QL)?_HOST)$/i.test(k),
        );
        const hostValue = hostVar ? env.get(hostVar)?.value : undefined;
        if (urls.length === 0 && !hostVar) continue;
        usesDatabase = true;
        for (const [name, { value }] of urls) {
          if (pointsAt(hostOf(value ?? ''), bundledNames)) continue;
          const urlMode = /[?&]sslmode=([^&]+)/i.exec(value ?? '')?.[1]?.toLowerCase();
          const effective = urlMode ?? mode;
          if (!effective) problems.push(`${c.name}: ${name} sets no sslmode`);
          else if (WEAK_MODES.has(effective)) problems.push(`${c.name}: ${name} uses sslmode=${effective}`);
        }
        if (hostVar && !pointsAt(hostOf(hostValue ?? ''), bundledNames)) {
          if (modeVar && mode === undefined) continue; // mode comes from a secret: not visible, not judged
          if (!modeVar) problems.push(`${c.name}: ${hostVar} is set but no SSLMODE (the default is disable)`);
          else if (WEAK_MODES.has(mode ?? '')) problems.push(`${c.name}: ${modeVar}=${mode}`);
        }
      }
      if (usesDatabase) results.push(problems.length === 0 ? pass(w.ref) : fail(w.ref, problems.join('; ')));
    }
    return results;
  },
};

import { envOf, hostOf, inClusterNames, pointsAt } from '../../model/env.ts';
import { isBundled } from '../internal/data-services.ts';
import { fail, pass } from '../internal/result.ts';
import { LONG_RUNNING, mainContainers } from '../internal/workloads.ts';
import type { Rule } from '../rule.ts';

export const rule: Rule = {
  id: 'cache-tls',
  categories: ['Managed cache'],
  severity: 'error',
  title: 'Cache connections use TLS',
  why: 'Managed Redis/Valkey carries session data and rate limits; the document asks that DALP credentials and TLS settings to the cache are tested. redis:// sends the password and data in clear.',
  fix: 'Use a rediss:// URL or set CACHE_TLS=true (with CACHE_TLS_CA_FILE for a private CA); enable in-transit encryption on the managed cache.',
  appliesTo: LONG_RUNNING,
  check(ctx) {
    const bundledNames = inClusterNames(
      ctx,
      ctx.workloads.filter((w) => isBundled(w, 'cache')),
    );
    const results = [];
    for (const w of ctx.workloadsOf(LONG_RUNNING)) {
      if (isBundled(w, 'cache')) continue;
      const problems: string[] = [];
      let usesCache = false;
      for (const c of mainContainers(w)) {
        const env = envOf(ctx, w, c);
        const tlsVar = [...env.keys()].find((k) => /^(CACHE|REDIS|VALKEY)_TLS(_ENABLED)?$/i.test(k));
        const tls = tlsVar ? env.get(tlsVar)?.value?.toLowerCase() : undefined;
        const tlsOn = tls === 'true' || tls === '1' || tls === 'yes';
        for (const [name, { value }] of env) {
          if (!/^rediss?:\/\//i.test(value ?? '')) continue;
          usesCache = true;
          if (pointsAt(hostOf(value ?? ''), bundledNames)) continue;
          if (/^redis:\/\//i.test(value ?? '') && !tlsOn)
            problems.push(`${c.name}: ${name} is redis:// (no TLS)`);
        }
        const sentinelVar = [...env.keys()].find((k) => /^(CACHE|REDIS)_SENTINELS$/i.test(k));
        const sentinels = sentinelVar ? env.get(sentinelVar)?.value : undefined;
        if (sentinels !== undefined) {
          usesCache = true;
          // A TLS switch fed from a Secret is not visible here, so it is not judged.
          const tlsHidden = tlsVar !== undefined && tls === undefined;
          if (!tlsOn && !tlsHidden && !pointsAt(hostOf(sentinels), bundledNames)) {
            const setting = tlsVar ? `${tlsVar}=${tls}` : 'no CACHE_TLS';
            problems.push(`${c.name}: Sentinels ${sentinels.split(',')[0]} with ${setting} (no TLS)`);
          }
        }
      }
      if (usesCache) results.push(problems.length === 0 ? pass(w.ref) : fail(w.ref, problems.join('; ')));
    }
    return results;
  },
};

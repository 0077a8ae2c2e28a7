import { existsSync, readFileSync } from 'node:fs';
import { Option } from 'commander';
import type { RegisterCommand } from '../command.ts';
import { UsageError } from '../io.ts';

interface ReconcileFlags {
  url?: string;
  apiKeyFile?: string;
  json?: boolean;
  timeout: number;
}

/** The report of GET /api/v1/reconcile (apps/dapp/src/use-cases/reconcile.ts), as far as this prints it. */
interface Report {
  reconciled: boolean;
  checked: { assets: number; idempotencyRecords: number; documents: number; objects: number };
  discrepancies: Array<{ kind: string; message: string }>;
  truncated: boolean;
  pendingPurge: Array<{ objectKey: string; size: number; queuedAt: string }>;
  pendingPurgeCount: number;
}

function apiKey(file: string | undefined): string {
  if (file) {
    if (!existsSync(file)) throw new UsageError(`--api-key-file: no such file ${file}`);
    const key = readFileSync(file, 'utf8').trim();
    if (!key) throw new UsageError(`--api-key-file: ${file} is empty`);
    return key;
  }
  const key = process.env.DALP_API_KEY?.trim();
  if (!key) throw new UsageError('reconcile needs an admin API key: DALP_API_KEY or --api-key-file <file>');
  return key;
}

function endpoint(url: string | undefined): URL {
  if (!url) throw new UsageError('reconcile needs --url <url>, the deployment public URL');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url: not a URL: "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`--url must be http:// or https://, got "${parsed.protocol}"`);
  return new URL(`${parsed.pathname.replace(/\/+$/, '')}/api/v1/reconcile`, parsed);
}

/** The same text `dapp reconcile` prints, from the API's report. */
function text(report: Report): string {
  const n = report.discrepancies.length;
  const lines = [
    report.reconciled
      ? 'reconciled: the books add up'
      : `NOT reconciled: ${n}${report.truncated ? '+' : ''} discrepanc${n === 1 ? 'y' : 'ies'}`,
    ...report.discrepancies.map((d) => `  ${d.kind}: ${d.message}`),
    `checked ${report.checked.assets} assets, ${report.checked.idempotencyRecords} idempotency records, ${report.checked.documents} documents, ${report.checked.objects} objects`,
  ];
  if (report.pendingPurgeCount > 0) {
    lines.push(
      `${report.pendingPurgeCount} object(s) of deleted documents pending purge (expected, not orphans):`,
    );
    for (const p of report.pendingPurge)
      lines.push(`  ${p.objectKey} (${p.size} bytes, queued ${p.queuedAt})`);
  }
  if (report.truncated) lines.push('(lists stop at 1000 entries each; fix these and run again)');
  return `${lines.join('\n')}\n`;
}

export const registerReconcile: RegisterCommand = (program, ctx) => {
  const { io } = ctx;
  program
    .command('reconcile')
    .description(
      'check the books of a running deployment through its API (admin key): ledger totals, idempotency records, documents and their objects',
    )
    .option('--url <url>', 'the deployment public URL (required)')
    .option('--api-key-file <file>', 'file holding an admin API key (default: the DALP_API_KEY variable)')
    .option('--json', 'print the report as JSON')
    .addOption(
      new Option('--timeout <s>', 'seconds to wait for the report')
        .argParser((value: string) => {
          const n = Number(value);
          if (!Number.isFinite(n) || n <= 0 || n > 86_400)
            throw new UsageError(`--timeout must be a number above 0 and at most 86400, got "${value}"`);
          return n;
        })
        .default(600),
    )
    .action(async (flags: ReconcileFlags) => {
      const url = endpoint(flags.url);
      // The key goes in the Authorization header and nowhere else: no message below can contain it.
      const key = apiKey(flags.apiKeyFile);
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
          signal: AbortSignal.timeout(flags.timeout * 1000),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
        throw new UsageError(`cannot reach ${url.origin}: ${cause}`);
      }
      const body = (await response.json().catch(() => undefined)) as
        | (Report & { error?: { code: string; message: string } })
        | undefined;
      if (response.status !== 200 || !body || typeof body.reconciled !== 'boolean') {
        const said = body?.error ? `${body.error.code}: ${body.error.message}` : 'no report in the answer';
        const hint =
          response.status === 401
            ? ' (the API key was not accepted)'
            : response.status === 403
              ? ' (an admin key is needed)'
              : response.status === 404
                ? ' (is this a dapp that has GET /api/v1/reconcile?)'
                : response.status === 429
                  ? ` (a reconcile already runs on that replica: try again in ${response.headers.get('retry-after') ?? 'a few'} s)`
                  : '';
        throw new UsageError(`${url.origin} answered ${response.status}${hint}: ${said}`);
      }
      io.stdout(flags.json ? `${JSON.stringify(body, null, 2)}\n` : text(body));
      ctx.setExitCode(body.reconciled ? 0 : 1);
    });
};

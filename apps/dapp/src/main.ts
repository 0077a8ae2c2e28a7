import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { migrate } from './adapters/postgres/migrate.ts';
import { ConfigError, loadConfig } from './config.ts';
import { buildApp } from './http/app.ts';
import { loggerOptions } from './http/request-logger.ts';
import { createRuntime, type Runtime } from './runtime.ts';
import { reportText } from './use-cases/reconcile.ts';

const USAGE = 'usage: dapp [serve|migrate|reconcile [--json]|purge-documents]';
const COMMANDS = ['serve', 'migrate', 'reconcile', 'purge-documents'];

function fail(message: string, code = 1): never {
  process.stderr.write(`dapp: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'serve';
  if (command === '--help' || command === '-h') {
    process.stdout.write(
      [
        USAGE,
        '  serve            run the HTTP service (default)',
        '  migrate          apply database migrations and exit',
        '  reconcile        check the books (ledger, idempotency records, documents and their objects);',
        '                   exit 0 when they reconcile, 1 when not, 2 bad usage, 3 when the check could not run',
        '  purge-documents  delete the bytes of documents deleted more than DOCUMENT_PURGE_AFTER_HOURS ago',
        '',
      ].join('\n'),
    );
    return;
  }
  if (!COMMANDS.includes(command)) fail(`unknown command "${command}"; ${USAGE}`, 2);
  let json = false;
  try {
    const { values } = parseArgs({
      args: process.argv.slice(3),
      options: command === 'reconcile' ? { json: { type: 'boolean' } } : {},
      strict: true,
      allowPositionals: false,
    });
    json = values.json === true;
  } catch (error) {
    fail(`${(error as Error).message.split('\n')[0]}; ${USAGE}`, 2);
  }

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError)
      fail(error.problems.map((p) => `invalid configuration: ${p}`).join('\ndapp: '), 2);
    throw error;
  }
  // A one-off command's output is its report on stdout (--json must parse): its log goes to stderr.
  const log =
    command === 'reconcile' || command === 'purge-documents'
      ? pino(loggerOptions(config.logLevel), pino.destination(2))
      : pino(loggerOptions(config.logLevel));

  if (command === 'migrate') {
    // Runs as a Kubernetes Job / Helm hook: the same advisory-locked code path as start-up migrations.
    // The bootstrap admin key is the service's to create, once the schema exists.
    const runtime = await createRuntime(
      { ...config, migrateOnStart: false, bootstrapAdminKey: undefined },
      log,
    );
    try {
      const result = await migrate(runtime.db.pool);
      log.info({ applied: result.applied, alreadyApplied: result.alreadyApplied }, 'migrations complete');
    } finally {
      await runtime.close();
    }
    return;
  }

  if (command === 'reconcile' || command === 'purge-documents') {
    // An operator's one-off run with the service's own configuration: no schema change, no bootstrap key.
    let runtime: Runtime | undefined;
    try {
      runtime = await createRuntime({ ...config, migrateOnStart: false, bootstrapAdminKey: undefined }, log);
      if (command === 'purge-documents') {
        const result = await runtime.useCases.purge.run(log);
        process.stdout.write(
          result.ran
            ? `purged ${result.purged} object(s) of documents deleted more than ${config.documentPurgeAfterHours} h ago; ${result.failed} failed (kept queued); ${result.keptReferenced} queue entr(y/ies) dropped, their key referenced by a document again\n`
            : 'another replica is purging right now (advisory lock held); nothing done\n',
        );
        process.exitCode = result.failed > 0 ? 1 : 0;
      } else {
        const report = await runtime.useCases.reconcile.run();
        process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : reportText(report));
        process.exitCode = report.reconciled ? 0 : 1;
      }
    } catch (error) {
      await runtime?.close();
      fail(`${command} could not run: ${describeFailure(error)}`, 3);
    }
    await runtime.close();
    return;
  }

  const runtime = await createRuntime(config, log);
  runtime.startBackgroundPurge();
  const app = await buildApp(runtime, log);

  let closing = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    const { drainDelayMs, timeoutMs } = config.shutdown;
    log.info({ signal, drainDelayMs, timeoutMs }, 'shutting down: readiness now reports 503');
    runtime.health.beginShutdown();
    const force = setTimeout(() => {
      log.error({ timeoutMs }, 'in-flight requests did not finish within SHUTDOWN_TIMEOUT_MS; exiting');
      process.exit(1);
    }, drainDelayMs + timeoutMs);
    force.unref();
    // Keep serving while load balancers and endpoint controllers notice the 503 and stop sending traffic.
    await sleep(drainDelayMs);
    // app.close() stops accepting and waits for in-flight requests, but closes only the connections idle
    // at that moment; a reply already on its way when the drain began goes idle afterwards, kept alive.
    // Sweeping idle connections until close resolves ends those too (replies sent after the drain began
    // close their connection themselves: see the onSend hook in http/app.ts).
    const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
    await app.close();
    clearInterval(sweep);
    await runtime.close();
    log.info('shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // A closed terminal: stop as cleanly as on Ctrl-C (the embedded PostgreSQL included).
  process.on('SIGHUP', shutdown);

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await runtime.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      fail(`port ${config.port} is already in use; set PORT to another port`);
    }
    throw error;
  }

  if (runtime.embedded) {
    const url = `http://localhost:${config.port}`;
    const lines = [
      '',
      `DALP is running on embedded defaults at ${url}`,
      `  data directory: ${resolve(config.dataDir)}`,
      ...(runtime.embedded.relocatedBecause
        ? [`  database files: ${runtime.embedded.dataDirectory}   (${runtime.embedded.relocatedBecause})`]
        : []),
      `  API:            ${url}/api/v1   (OpenAPI: ${url}/openapi.json)`,
    ];
    if (runtime.adminKey?.generated) {
      lines.push(
        `  admin API key:  ${runtime.adminKey.key}   (shown once; kept in ${runtime.adminKey.path})`,
      );
    } else if (runtime.adminKey) {
      lines.push(`  admin API key:  in ${runtime.adminKey.path}`);
    }
    lines.push(`  try:            curl -H "Authorization: Bearer <admin key>" ${url}/api/v1/assets`, '');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

/** One line about any thrown value: never "undefined", never a stack trace. */
function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = error.message.trim().split('\n')[0] || error.name;
    return code && !message.includes(code) ? `${message} (${code})` : message;
  }
  if (error === undefined || error === null || String(error).trim() === '') {
    return 'an unexplained error (nothing was reported); run again with LOG_LEVEL=debug to see more';
  }
  return String(error).split('\n')[0]!;
}

main().catch((error: unknown) => {
  // Start-up failures (database unreachable, bad TLS file, the embedded PostgreSQL) end here: one clear
  // line, non-zero exit.
  fail(`failed to start: ${describeFailure(error)}`);
});

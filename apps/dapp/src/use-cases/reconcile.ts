import { createHash } from 'node:crypto';
import type { ObjectStore } from '../ports/object-store.ts';
import type { DocumentRecord, ReconcileStore } from '../store/reconcile.ts';

export const DISCREPANCY_KINDS = [
  'supply_balances_mismatch',
  'supply_journal_mismatch',
  'balance_journal_mismatch',
  'idempotency_entry_missing',
  'idempotency_entry_mismatch',
  'document_object_missing',
  'document_size_mismatch',
  'document_sha256_mismatch',
  'orphan_object',
] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

/** One thing that does not add up, naming what it is about; expected is what the books say should be. */
export interface Discrepancy {
  kind: DiscrepancyKind;
  /** One line for people: names every id and both values. */
  message: string;
  assetId?: string;
  investorId?: string;
  principalId?: string;
  idempotencyKey?: string;
  journalId?: string | null;
  documentId?: string;
  objectKey?: string;
  expected?: string;
  actual?: string;
}

/** An object whose document was deleted: kept until the purge (DOCUMENT_PURGE_AFTER_HOURS), not an orphan. */
export interface PendingPurge {
  objectKey: string;
  size: number;
  queuedAt: string;
}

export interface ReconcileReport {
  /** True when nothing is listed in discrepancies. */
  reconciled: boolean;
  startedAt: string;
  finishedAt: string;
  checked: { assets: number; idempotencyRecords: number; documents: number; objects: number };
  discrepancies: Discrepancy[];
  /** More discrepancies (or pending purges) existed than a report lists (MAX_LISTED each). */
  truncated: boolean;
  pendingPurge: PendingPurge[];
  pendingPurgeCount: number;
}

export interface ReconcileOptions {
  /** Objects streamed and hashed at once. */
  concurrency?: number;
  /** Rows read per query. */
  pageSize?: number;
}

/** The most discrepancies (and pending purges) one report lists; more sets `truncated`. */
export const MAX_LISTED = 1000;
/** Where document bytes live in the store (use-cases/documents.ts names them documents/<asset>/<id>). */
export const DOCUMENTS_PREFIX = 'documents/';

/**
 * Runs `work` over `items` with at most `limit` at once. Hand-written: a dozen lines, where a dependency
 * (p-limit) would add a package for the same loop.
 */
async function eachBounded<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The books check after a restore or an incident (docs/reconcile.md), shared by `dapp reconcile` and
 * GET /api/v1/reconcile: for every asset, supply = sum of balances = what the journal adds up to (and
 * each holder's balance = its journal); every idempotency record points at the journal entry of its own key;
 * every document row has its object with the recorded size and SHA-256; every object under documents/ has
 * a row or is queued for the purge. Reads page by page; objects are streamed through the hash, never held.
 */
export class Reconcile {
  constructor(
    private readonly store: ReconcileStore,
    private readonly objects: ObjectStore,
  ) {}

  async run(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const concurrency = options.concurrency ?? 4;
    const pageSize = options.pageSize ?? 500;
    const startedAt = new Date().toISOString();
    const discrepancies: Discrepancy[] = [];
    let truncated = false;
    const found = (d: Discrepancy) => {
      if (discrepancies.length < MAX_LISTED) discrepancies.push(d);
      else truncated = true;
    };
    const checked = { assets: 0, idempotencyRecords: 0, documents: 0, objects: 0 };

    // Ledger: totals per asset, then holder by holder.
    for (let after: string | undefined; ; ) {
      const page = await this.store.assetTotals(after, Math.min(pageSize, 100));
      if (page.length === 0) break;
      checked.assets += page.length;
      for (const a of page) {
        if (a.supply !== a.balances)
          found({
            kind: 'supply_balances_mismatch',
            message: `asset ${a.id} (${a.symbol}): supply is ${a.supply}, its balances add up to ${a.balances}`,
            assetId: a.id,
            expected: a.supply,
            actual: a.balances,
          });
        if (a.supply !== a.journal)
          found({
            kind: 'supply_journal_mismatch',
            message: `asset ${a.id} (${a.symbol}): supply is ${a.supply}, its journal adds up to ${a.journal}`,
            assetId: a.id,
            expected: a.journal,
            actual: a.supply,
          });
      }
      const holders = await this.store.balanceMismatches(
        page.map((a) => a.id),
        MAX_LISTED + 1,
      );
      for (const h of holders)
        found({
          kind: 'balance_journal_mismatch',
          message: `asset ${h.assetId}, investor ${h.investorId}: balance is ${h.balance}, the journal gives ${h.journal}`,
          assetId: h.assetId,
          investorId: h.investorId,
          expected: h.journal,
          actual: h.balance,
        });
      after = page.at(-1)!.id;
    }

    // Idempotency records: each names the journal entry its write produced.
    for (let after: { principalId: string; key: string } | undefined; ; ) {
      const page = await this.store.idempotencyRecords(after, pageSize * 10);
      if (page.length === 0) break;
      checked.idempotencyRecords += page.length;
      for (const r of page) {
        const subject = { principalId: r.principalId, idempotencyKey: r.key, journalId: r.journalId };
        if (!r.entry)
          found({
            kind: 'idempotency_entry_missing',
            message: `idempotency key "${r.key}" of caller ${r.principalId} points at journal entry ${r.journalId ?? '(none)'}, which does not exist`,
            ...subject,
            expected: r.journalId ?? undefined,
          });
        else if (r.entry.idempotencyKey !== r.key || r.entry.actor !== r.principalId)
          found({
            kind: 'idempotency_entry_mismatch',
            message: `idempotency key "${r.key}" of caller ${r.principalId} points at journal entry ${r.journalId}, which records caller/key ${r.entry.actor}/${r.entry.idempotencyKey}, not ${r.principalId}/${r.key}`,
            ...subject,
            expected: `${r.principalId}/${r.key}`,
            actual: `${r.entry.actor}/${r.entry.idempotencyKey}`,
          });
      }
      const last = page.at(-1)!;
      after = { principalId: last.principalId, key: last.key };
    }

    // Documents: each row's bytes, streamed through SHA-256.
    for (let after: string | undefined; ; ) {
      const page = await this.store.documents(after, pageSize);
      if (page.length === 0) break;
      checked.documents += page.length;
      await eachBounded(page, concurrency, async (doc) => {
        const problem = await this.checkDocument(doc);
        if (problem) found(problem);
      });
      after = page.at(-1)!.id;
    }

    // Objects: every one under documents/ has a row, or is waiting for its purge.
    const pendingPurge: PendingPurge[] = [];
    let pendingPurgeCount = 0;
    for await (const listed of this.objects.list(DOCUMENTS_PREFIX)) {
      if (listed.length === 0) continue;
      checked.objects += listed.length;
      const { referenced, queued } = await this.store.objectOwners(listed.map((o) => o.key));
      for (const object of listed) {
        if (referenced.has(object.key)) continue;
        const queuedAt = queued.get(object.key);
        if (queuedAt) {
          pendingPurgeCount += 1;
          if (pendingPurge.length < MAX_LISTED)
            pendingPurge.push({ objectKey: object.key, size: object.size, queuedAt: queuedAt.toISOString() });
          else truncated = true;
          continue;
        }
        found({
          kind: 'orphan_object',
          message: `object ${object.key} (${object.size} bytes) has no document row and is not queued for purging`,
          objectKey: object.key,
          actual: String(object.size),
        });
      }
    }

    return {
      reconciled: discrepancies.length === 0,
      startedAt,
      finishedAt: new Date().toISOString(),
      checked,
      discrepancies,
      truncated,
      pendingPurge,
      pendingPurgeCount,
    };
  }

  private async checkDocument(doc: DocumentRecord): Promise<Discrepancy | undefined> {
    const subject = { assetId: doc.assetId, documentId: doc.id, objectKey: doc.objectKey };
    const object = await this.objects.get(doc.objectKey);
    if (!object)
      return {
        kind: 'document_object_missing',
        message: `document ${doc.id} of asset ${doc.assetId}: object ${doc.objectKey} (SHA-256 ${doc.sha256}) is missing from the store`,
        ...subject,
        expected: doc.sha256,
      };
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of object.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      hash.update(chunk);
    }
    const sha256 = hash.digest('hex');
    if (size !== doc.size)
      return {
        kind: 'document_size_mismatch',
        message: `document ${doc.id} of asset ${doc.assetId}: object ${doc.objectKey} holds ${size} bytes, the row records ${doc.size}`,
        ...subject,
        expected: String(doc.size),
        actual: String(size),
      };
    if (sha256 !== doc.sha256)
      return {
        kind: 'document_sha256_mismatch',
        message: `document ${doc.id} of asset ${doc.assetId}: object ${doc.objectKey} has SHA-256 ${sha256}, the row records ${doc.sha256}`,
        ...subject,
        expected: doc.sha256,
        actual: sha256,
      };
    return undefined;
  }
}

/** The report for people: a verdict line, one line per discrepancy, what was checked. */
export function reportText(report: ReconcileReport): string {
  const lines = [
    report.reconciled
      ? 'reconciled: the books add up'
      : `NOT reconciled: ${report.discrepancies.length}${report.truncated ? '+' : ''} discrepanc${report.discrepancies.length === 1 ? 'y' : 'ies'}`,
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
  if (report.truncated) lines.push(`(lists stop at ${MAX_LISTED} entries each; fix these and run again)`);
  return `${lines.join('\n')}\n`;
}

import type { Asset } from '../../domain/assets.ts';
import type { Investor } from '../../domain/investors.ts';
import type { LedgerSnapshot, Parties, PlannedBatch } from './planner.ts';

/**
 * What this process last knew of the assets, investors and balances its transfers touched, so that a batch
 * can usually skip its read and go to PostgreSQL once. Nothing here is trusted: the write statement checks
 * every fact a plan used (each balance's amount, each asset's and investor's row version) and aborts on any
 * difference, after which the batch reads afresh. Refusals are never decided from here either (a cached
 * balance may be lower than the real one): a batch with a refusal is planned again from a fresh read.
 */
export class LedgerStateCache {
  private static readonly MAX_BALANCES = 100_000;
  private readonly assets = new Map<string, { asset: Asset; version: string }>();
  private readonly investors = new Map<string, { investor: Investor; version: string }>();
  private readonly balances = new Map<string, bigint | null>();

  /** The batch's state if every part of it is known, else undefined. */
  snapshot(parties: Parties): LedgerSnapshot | undefined {
    const snapshot: LedgerSnapshot = { assets: new Map(), investors: new Map(), balances: new Map() };
    for (const id of parties.assetIds) {
      const known = this.assets.get(id);
      if (!known) return undefined;
      snapshot.assets.set(id, known);
    }
    for (const id of parties.investorIds) {
      const known = this.investors.get(id);
      if (!known) return undefined;
      snapshot.investors.set(id, known);
    }
    for (const { key } of parties.pairs) {
      const known = this.balances.get(key);
      if (known === undefined) return undefined;
      snapshot.balances.set(key, known);
    }
    return snapshot;
  }

  learn(snapshot: LedgerSnapshot): void {
    if (this.balances.size > LedgerStateCache.MAX_BALANCES) this.clear();
    for (const [id, known] of snapshot.assets) this.assets.set(id, known);
    for (const [id, known] of snapshot.investors) this.investors.set(id, known);
    for (const [key, amount] of snapshot.balances) this.balances.set(key, amount);
  }

  /** After a committed batch: the balances it wrote; rows it opened hold an amount only PostgreSQL knows. */
  wrote(batch: PlannedBatch): void {
    for (const u of batch.updated) this.balances.set(`${u.assetId}:${u.investorId}`, u.amount);
    for (const o of batch.opened) this.balances.delete(`${o.assetId}:${o.investorId}`);
  }

  forget(parties: Parties): void {
    for (const id of parties.assetIds) this.assets.delete(id);
    for (const id of parties.investorIds) this.investors.delete(id);
    for (const { key } of parties.pairs) this.balances.delete(key);
  }

  clear(): void {
    this.assets.clear();
    this.investors.clear();
    this.balances.clear();
  }
}

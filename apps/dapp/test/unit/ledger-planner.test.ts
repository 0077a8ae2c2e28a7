import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Asset } from '../../src/domain/assets.ts';
import type { Investor } from '../../src/domain/investors.ts';
import {
  type LedgerSnapshot,
  partiesOf,
  planTransfers,
  type TransferRequest,
} from '../../src/store/ledger/planner.ts';

// The ledger's batch planner on its own: no PostgreSQL, no HTTP. What it decides is what the writer then
// asks PostgreSQL to confirm (test/integration/transfer-batches.test.ts covers that side).

const asset = (id: string, overrides: Partial<Asset> = {}): Asset => ({
  id,
  symbol: id.toUpperCase(),
  name: id,
  type: 'equity',
  decimals: 0,
  maxSupply: null,
  totalSupply: 1000n,
  allowedCountries: null,
  details: {},
  status: 'active',
  createdAt: '',
  updatedAt: '',
  ...overrides,
});
const investor = (id: string, kycStatus: Investor['kycStatus'] = 'verified'): Investor => ({
  id,
  name: id,
  country: 'BE',
  kycStatus,
  createdAt: '',
  updatedAt: '',
});

let n = 0;
const transfer = (
  assetId: string,
  from: string,
  to: string,
  amount: bigint,
  principal = 'p',
): TransferRequest => {
  n += 1;
  return {
    input: { assetId, kind: 'transfer', from, to, amount, idempotencyKey: `k${n}`, requestHash: `h${n}` },
    actor: { principalId: principal, requestId: `r${n}` },
  };
};

/** A snapshot of the given assets and investors; balances by "asset:investor", null for no row. */
function snapshot(
  assets: Asset[],
  investors: Investor[],
  balances: Record<string, bigint | null>,
): LedgerSnapshot {
  return {
    assets: new Map(assets.map((a) => [a.id, { asset: a, version: '1' }])),
    investors: new Map(investors.map((i) => [i.id, { investor: i, version: '1' }])),
    balances: new Map(Object.entries(balances)),
  };
}

const plan = (state: LedgerSnapshot, requests: TransferRequest[], isNew = (_: TransferRequest) => true) =>
  planTransfers(state, requests, partiesOf(requests), isNew);

const codes = (decisions: ReturnType<typeof plan>['decisions']) =>
  decisions.map((d) => (d.kind === 'refused' ? d.error.code : d.kind));

describe('the batch planner', () => {
  const [ann, bob, cat] = [investor('ann'), investor('bob'), investor('cat')];
  const eq = asset('eq');

  test('plans in arrival order, each transfer against what the ones before it left', () => {
    const state = snapshot([eq], [ann, bob], { 'eq:ann': 100n, 'eq:bob': 0n });
    const batch = plan(state, [transfer('eq', 'ann', 'bob', 60n), transfer('eq', 'ann', 'bob', 60n)]);
    assert.deepEqual(codes(batch.decisions), ['applied', 'insufficient_balance']);
    assert.deepEqual(batch.updated, [
      { assetId: 'eq', investorId: 'ann', was: 100n, amount: 40n },
      { assetId: 'eq', investorId: 'bob', was: 0n, amount: 60n },
    ]);
    assert.deepEqual(batch.opened, []);
    // The reverse order: the second transfer now finds what the first one received.
    const chained = plan(state, [transfer('eq', 'ann', 'bob', 100n), transfer('eq', 'bob', 'ann', 30n)]);
    assert.deepEqual(codes(chained.decisions), ['applied', 'applied']);
    assert.deepEqual(
      chained.updated.map((u) => [u.investorId, u.amount]),
      [
        ['ann', 30n],
        ['bob', 70n],
      ],
    );
  });

  test('a refused transfer refuses only itself and leaves no trace in the writes', () => {
    const state = snapshot([eq], [ann, bob, investor('pending', 'pending')], {
      'eq:ann': 10n,
      'eq:bob': 10n,
    });
    const requests = [
      transfer('eq', 'ann', 'bob', 5n),
      transfer('eq', 'bob', 'pending', 1n),
      transfer('eq', 'ann', 'ghost', 1n),
      transfer('eq', 'bob', 'ann', 1n),
    ];
    const batch = plan(state, requests);
    assert.deepEqual(codes(batch.decisions), [
      'applied',
      'kyc_not_verified',
      'investor_not_found',
      'applied',
    ]);
    assert.deepEqual(batch.refused, [requests[1], requests[2]]);
    assert.deepEqual(
      batch.applied.map((a) => a.request),
      [requests[0], requests[3]],
    );
    // Neither refused party gets a balance written or opened.
    assert.deepEqual([...batch.updated, ...batch.opened].map((b) => b.investorId).sort(), ['ann', 'bob']);
  });

  test('the journal entries carry the request, and no supply: a transfer does not change it (issue 20)', () => {
    const state = snapshot([eq], [ann, bob], { 'eq:ann': 10n, 'eq:bob': null });
    const request = transfer('eq', 'ann', 'bob', 4n);
    const [applied] = plan(state, [request]).applied;
    assert.ok(applied);
    const { id, createdAt, ...entry } = applied.entry;
    assert.deepEqual(entry, {
      assetId: 'eq',
      kind: 'transfer',
      from: 'ann',
      to: 'bob',
      amount: 4n,
      totalSupply: null,
    });
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(createdAt)));
  });

  test('a receiver without a balance row is opened with what it received net, and only when positive', () => {
    const state = snapshot([eq], [ann, bob, cat], { 'eq:ann': 50n, 'eq:bob': null, 'eq:cat': null });
    const batch = plan(state, [
      transfer('eq', 'ann', 'bob', 20n),
      transfer('eq', 'ann', 'cat', 5n),
      transfer('eq', 'cat', 'ann', 5n),
    ]);
    assert.deepEqual(codes(batch.decisions), ['applied', 'applied', 'applied']);
    assert.deepEqual(batch.opened, [{ assetId: 'eq', investorId: 'bob', amount: 20n }]);
    assert.deepEqual(batch.updated, [{ assetId: 'eq', investorId: 'ann', was: 50n, amount: 30n }]);
  });

  test('an existing balance the batch used is written back with its check even when it ends where it was', () => {
    const state = snapshot([eq], [ann, bob], { 'eq:ann': 10n, 'eq:bob': 10n });
    const batch = plan(state, [transfer('eq', 'ann', 'bob', 3n), transfer('eq', 'bob', 'ann', 3n)]);
    assert.deepEqual(batch.updated, [
      { assetId: 'eq', investorId: 'ann', was: 10n, amount: 10n },
      { assetId: 'eq', investorId: 'bob', was: 10n, amount: 10n },
    ]);
  });

  test('keys that are not the batch’s to use are answered as replays, without a plan', () => {
    const state = snapshot([eq], [ann, bob], { 'eq:ann': 10n, 'eq:bob': 0n });
    const used = transfer('eq', 'ann', 'bob', 10n);
    const batch = plan(state, [used, transfer('eq', 'ann', 'bob', 10n)], (r) => r !== used);
    assert.deepEqual(codes(batch.decisions), ['replay', 'applied']);
    assert.equal(batch.applied.length, 1);
  });

  test('batches over several assets keep each asset’s balances apart; an unknown or inactive asset refuses', () => {
    const other = asset('other');
    const paused = asset('paused', { status: 'paused' });
    const state = snapshot([eq, other, paused], [ann, bob], {
      'eq:ann': 5n,
      'eq:bob': 0n,
      'other:ann': 0n,
      'other:bob': 9n,
      'paused:ann': 1n,
      'paused:bob': 0n,
    });
    const batch = plan(state, [
      transfer('eq', 'ann', 'bob', 5n),
      transfer('other', 'ann', 'bob', 1n),
      transfer('other', 'bob', 'ann', 9n),
      transfer('paused', 'ann', 'bob', 1n),
      transfer('nowhere', 'ann', 'bob', 1n),
    ]);
    assert.deepEqual(codes(batch.decisions), [
      'applied',
      'insufficient_balance',
      'applied',
      'asset_not_active',
      'asset_not_found',
    ]);
    assert.deepEqual(
      batch.updated.map((u) => `${u.assetId}:${u.investorId}=${u.amount}`),
      ['eq:ann=0', 'eq:bob=5', 'other:ann=9', 'other:bob=0'],
    );
  });

  test('the parties of a batch: each asset, investor and balance once', () => {
    const parties = partiesOf([
      transfer('eq', 'ann', 'bob', 1n),
      transfer('eq', 'bob', 'ann', 1n),
      transfer('other', 'ann', 'cat', 1n),
    ]);
    assert.deepEqual(parties.assetIds, ['eq', 'other']);
    assert.deepEqual(parties.investorIds, ['ann', 'bob', 'cat']);
    assert.deepEqual(
      parties.pairs.map((p) => p.key),
      ['eq:ann', 'eq:bob', 'other:ann', 'other:cat'],
    );
  });
});

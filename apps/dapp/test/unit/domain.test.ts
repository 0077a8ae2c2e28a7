import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_AMOUNT, parseAmount } from '../../src/domain/amounts.ts';
import { ASSET_STATUSES, type Asset, assertTransition, validateNewAsset } from '../../src/domain/assets.ts';
import type { Investor } from '../../src/domain/investors.ts';
import { planLedgerWrite } from '../../src/domain/ledger.ts';
import { ApiError, errors } from '../../src/errors.ts';

const rejects = (fn: () => unknown, code: string) =>
  assert.throws(fn, (e: unknown) => e instanceof ApiError && e.code === code, `expected ${code}`);

describe('asset lifecycle', () => {
  const allowed = new Set([
    'draft>active',
    'active>paused',
    'paused>active',
    'active>closed',
    'paused>closed',
  ]);
  for (const from of ASSET_STATUSES) {
    for (const to of ASSET_STATUSES) {
      const key = `${from}>${to}`;
      test(`${from} -> ${to} is ${allowed.has(key) ? 'allowed' : 'a 409 conflict'}`, () => {
        if (allowed.has(key)) assert.doesNotThrow(() => assertTransition(from, to));
        else
          assert.throws(
            () => assertTransition(from, to),
            (e: unknown) => e instanceof ApiError && e.status === 409 && e.code === 'invalid_transition',
          );
      });
    }
  }
});

describe('amounts', () => {
  test('accepts base-unit integers up to 2^256-1', () => {
    assert.equal(parseAmount('1', 'a'), 1n);
    assert.equal(parseAmount(MAX_AMOUNT.toString(), 'a'), MAX_AMOUNT);
    assert.equal(parseAmount('0', 'a', false), 0n);
  });
  for (const bad of [
    '-1',
    '1.5',
    '1e3',
    '',
    ' 1',
    '01',
    '0x10',
    (MAX_AMOUNT + 1n).toString(),
    '9'.repeat(79),
  ]) {
    test(`rejects ${JSON.stringify(bad).slice(0, 30)}`, () =>
      rejects(() => parseAmount(bad, 'amount'), 'invalid_amount'));
  }
  test('rejects zero where a positive amount is required', () =>
    rejects(() => parseAmount('0', 'amount'), 'invalid_amount'));
});

describe('new assets', () => {
  const base = { symbol: 'X', name: 'X', decimals: 2 } as const;
  test('a bond needs face value and maturity date', () => {
    rejects(() => validateNewAsset({ ...base, type: 'bond' }), 'bond_terms_required');
    const bond = validateNewAsset({ ...base, type: 'bond', faceValue: '1000', maturityDate: '2031-06-30' });
    assert.deepEqual(bond.details, { faceValue: '1000', maturityDate: '2031-06-30' });
  });
  test('bond terms are refused on other types', () =>
    rejects(() => validateNewAsset({ ...base, type: 'equity', faceValue: '1' }), 'bond_terms_not_allowed'));
  test('impossible calendar dates are refused', () =>
    rejects(
      () => validateNewAsset({ ...base, type: 'bond', faceValue: '1', maturityDate: '2031-02-30' }),
      'invalid_date',
    ));
  test('country codes must be ISO 3166-1 alpha-2', () => {
    rejects(
      () => validateNewAsset({ ...base, type: 'fund', allowedCountries: ['BE', 'XX'] }),
      'invalid_country',
    );
    assert.deepEqual(
      validateNewAsset({ ...base, type: 'fund', allowedCountries: ['NL', 'BE', 'NL'] }).allowedCountries,
      ['BE', 'NL'],
    );
  });
  test('maxSupply is parsed as an exact integer', () =>
    assert.equal(
      validateNewAsset({ ...base, type: 'stablecoin', maxSupply: MAX_AMOUNT.toString() }).maxSupply,
      MAX_AMOUNT,
    ));
});

describe('ledger rules', () => {
  const asset = (overrides: Partial<Asset> = {}): Asset => ({
    id: 'a',
    symbol: 'EQ',
    name: 'Equity',
    type: 'equity',
    decimals: 0,
    maxSupply: 1000n,
    totalSupply: 100n,
    allowedCountries: ['BE', 'NL'],
    details: {},
    status: 'active',
    createdAt: '',
    updatedAt: '',
    ...overrides,
  });
  const investor = (id: string, kycStatus: Investor['kycStatus'] = 'verified', country = 'BE'): Investor => ({
    id,
    name: id,
    country,
    kycStatus,
    createdAt: '',
    updatedAt: '',
  });
  const state = (a: Asset, investors: Investor[], balances: Record<string, bigint>) => ({
    asset: a,
    investors: new Map(investors.map((i) => [i.id, i])),
    balances: new Map(Object.entries(balances)),
  });
  const ann = investor('ann');
  const bob = investor('bob');

  test('mint raises supply and the receiver balance', () => {
    const plan = planLedgerWrite(state(asset(), [ann], { ann: 100n }), {
      kind: 'mint',
      to: 'ann',
      amount: 50n,
    });
    assert.equal(plan.totalSupply, 150n);
    assert.equal(plan.balances.get('ann'), 150n);
  });
  test('mint above max supply is refused', () =>
    rejects(
      () => planLedgerWrite(state(asset(), [ann], {}), { kind: 'mint', to: 'ann', amount: 901n }),
      'max_supply_exceeded',
    ));
  test('without a max supply, supply is still capped at 2^256-1', () =>
    rejects(
      () =>
        planLedgerWrite(state(asset({ maxSupply: null, totalSupply: MAX_AMOUNT }), [ann], {}), {
          kind: 'mint',
          to: 'ann',
          amount: 1n,
        }),
      'max_supply_exceeded',
    ));
  test('mint exactly to max supply is allowed', () =>
    assert.equal(
      planLedgerWrite(state(asset(), [ann], {}), { kind: 'mint', to: 'ann', amount: 900n }).totalSupply,
      1000n,
    ));
  test('transfer moves units and keeps supply', () => {
    const plan = planLedgerWrite(state(asset(), [ann, bob], { ann: 100n }), {
      kind: 'transfer',
      from: 'ann',
      to: 'bob',
      amount: 40n,
    });
    assert.equal(plan.totalSupply, 100n);
    assert.deepEqual(
      [...plan.balances],
      [
        ['ann', 60n],
        ['bob', 40n],
      ],
    );
  });
  test('transfer above balance is refused', () =>
    rejects(
      () =>
        planLedgerWrite(state(asset(), [ann, bob], { ann: 10n }), {
          kind: 'transfer',
          from: 'ann',
          to: 'bob',
          amount: 11n,
        }),
      'insufficient_balance',
    ));
  test('writes on a non-active asset are refused', () => {
    for (const status of ['draft', 'paused', 'closed'] as const) {
      rejects(
        () => planLedgerWrite(state(asset({ status }), [ann], {}), { kind: 'mint', to: 'ann', amount: 1n }),
        'asset_not_active',
      );
    }
  });
  test('parties must be KYC verified', () => {
    for (const kyc of ['pending', 'revoked'] as const) {
      rejects(
        () =>
          planLedgerWrite(state(asset(), [ann, investor('bob', kyc)], { ann: 10n }), {
            kind: 'transfer',
            from: 'ann',
            to: 'bob',
            amount: 1n,
          }),
        'kyc_not_verified',
      );
      rejects(
        () =>
          planLedgerWrite(state(asset(), [investor('ann', kyc), bob], { ann: 10n }), {
            kind: 'transfer',
            from: 'ann',
            to: 'bob',
            amount: 1n,
          }),
        'kyc_not_verified',
      );
    }
  });
  test("the receiver's country must be allowed", () =>
    rejects(
      () =>
        planLedgerWrite(state(asset(), [ann, investor('bob', 'verified', 'US')], { ann: 10n }), {
          kind: 'transfer',
          from: 'ann',
          to: 'bob',
          amount: 1n,
        }),
      'country_not_allowed',
    ));
  test('an unrestricted asset accepts any country', () =>
    assert.doesNotThrow(() =>
      planLedgerWrite(state(asset({ allowedCountries: null }), [investor('us', 'verified', 'US')], {}), {
        kind: 'mint',
        to: 'us',
        amount: 1n,
      }),
    ));
  test('burn and redeem lower supply and refuse more than the balance', () => {
    for (const kind of ['burn', 'redeem'] as const) {
      const plan = planLedgerWrite(state(asset(), [ann], { ann: 100n }), { kind, from: 'ann', amount: 30n });
      assert.equal(plan.totalSupply, 70n);
      assert.equal(plan.balances.get('ann'), 70n);
      rejects(
        () => planLedgerWrite(state(asset(), [ann], { ann: 100n }), { kind, from: 'ann', amount: 101n }),
        'insufficient_balance',
      );
    }
  });
  test('a transfer to oneself is refused', () =>
    rejects(
      () =>
        planLedgerWrite(state(asset(), [ann], { ann: 10n }), {
          kind: 'transfer',
          from: 'ann',
          to: 'ann',
          amount: 1n,
        }),
      'self_transfer',
    ));
  test('an unknown party is not found', () =>
    assert.throws(
      () => planLedgerWrite(state(asset(), [], {}), { kind: 'mint', to: 'ghost', amount: 1n }),
      (e: unknown) => e instanceof ApiError && e.status === 404,
    ));
});

describe('refusal errors', () => {
  const frames = (error: Error) =>
    (error.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at '));

  test('a refusal captures no stack trace, leaves the global limit alone, and is still an Error', async () => {
    const { toApiError } = await import('../../src/http/plugins/error-handler.ts');
    const limit = Error.stackTraceLimit;
    const nested = (depth: number): Error[] =>
      depth === 0 ? [errors.insufficientBalance('no', 0n, 1n), errors.invalidApiKey()] : nested(depth - 1);
    for (const error of nested(15)) {
      assert.ok(error instanceof Error);
      assert.deepEqual(frames(error), [], `${error.name} has no frames`);
      assert.match(error.stack ?? '', new RegExp(`${error.message}$`), 'its stack still names its message');
      assert.equal(Error.stackTraceLimit, limit);
    }
    assert.equal(toApiError(nested(0)[0]).status, 422);
    assert.equal(toApiError(nested(0)[1]).status, 401);
    // Faults keep theirs: a 5xx is logged with its stack.
    assert.ok(frames(new Error('fault')).length > 0);
    assert.ok(frames(errors.databaseUnavailable.because(new Error('gone'))).length > 0);
  });
});

// What a drill's workload writes to: a fresh active asset, verified investors, and units minted to each,
// created through the API so the same code seeds the lab and a deployed release.
import { randomBytes } from 'node:crypto';
import { type ApiEndpoint, call, uniqueKey } from './api.ts';

export interface Ledger {
  assetId: string;
  investors: string[];
}

function expect(answer: { status: number; body?: unknown }, status: number, what: string): void {
  if (answer.status !== status)
    throw new Error(
      `seeding the drill's ledger: ${what} answered ${answer.status} ${JSON.stringify(answer.body ?? '')}`,
    );
}

/** Creates the asset and investors and mints `units` to every investor (enough for every transfer). */
export async function seedLedger(
  api: ApiEndpoint,
  options: { investors?: number; units?: string; label?: string } = {},
): Promise<Ledger> {
  const symbol = `D${randomBytes(4).toString('hex').toUpperCase()}`;
  const asset = await call(api, 'POST', '/api/v1/assets', {
    json: { symbol, name: `Drill ${options.label ?? symbol}`, type: 'fund', decimals: 0 },
  });
  expect(asset, 201, 'creating the asset');
  const assetId = String(asset.body!.id);
  expect(
    await call(api, 'POST', `/api/v1/assets/${assetId}/status`, { json: { status: 'active' } }),
    200,
    'activating the asset',
  );
  const investors: string[] = [];
  for (let i = 0; i < (options.investors ?? 4); i++) {
    const investor = await call(api, 'POST', '/api/v1/investors', {
      json: { name: `Drill investor ${i + 1}`, country: 'DE', kycStatus: 'verified' },
    });
    expect(investor, 201, 'creating an investor');
    investors.push(String(investor.body!.id));
  }
  for (const to of investors) {
    const mint = await call(api, 'POST', `/api/v1/assets/${assetId}/mint`, {
      json: { to, amount: options.units ?? '1000000' },
      headers: { 'idempotency-key': uniqueKey('seed') },
    });
    expect(mint, 201, 'minting');
  }
  return { assetId, investors };
}

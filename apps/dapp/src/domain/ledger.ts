import { MAX_AMOUNT } from './amounts.ts';
import type { Asset } from './assets.ts';
import { DomainError } from './errors.ts';
import type { Investor } from './investors.ts';

export const LEDGER_KINDS = ['mint', 'transfer', 'burn', 'redeem'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

export interface LedgerRequest {
  kind: LedgerKind;
  from?: string;
  to?: string;
  amount: bigint;
}

export interface LedgerState {
  asset: Asset;
  investors: ReadonlyMap<string, Investor>;
  balances: ReadonlyMap<string, bigint>;
}

export interface LedgerPlan {
  /** New balance per investor id, for every balance that changes. */
  balances: Map<string, bigint>;
  totalSupply: bigint;
}

const violation = (code: string, message: string) => new DomainError('rule_violation', code, message);

/**
 * The compliance and accounting rules of every ledger write, as a pure function: given the locked state,
 * either the new balances and supply or the rule that forbids the write. Keeping this free of SQL means the
 * invariant (sum of balances == total supply, nothing negative, supply <= max) is decided in one place.
 */
export function planLedgerWrite(state: LedgerState, request: LedgerRequest): LedgerPlan {
  const { asset } = state;
  if (asset.status !== 'active') {
    throw violation(
      'asset_not_active',
      `asset ${asset.symbol} is ${asset.status}; ledger writes need an active asset`,
    );
  }
  const party = (id: string | undefined, role: 'sender' | 'receiver' | 'holder'): Investor => {
    const investor = id === undefined ? undefined : state.investors.get(id);
    if (!investor) throw new DomainError('not_found', 'investor_not_found', `${role} ${id} does not exist`);
    if (investor.kycStatus !== 'verified') {
      throw violation('kyc_not_verified', `${role} ${investor.id} has KYC status ${investor.kycStatus}`);
    }
    return investor;
  };
  const receiverAllowed = (receiver: Investor) => {
    if (asset.allowedCountries && !asset.allowedCountries.includes(receiver.country)) {
      throw violation(
        'country_not_allowed',
        `asset ${asset.symbol} may not be held in ${receiver.country} (allowed: ${asset.allowedCountries.join(', ')})`,
      );
    }
  };
  const balanceOf = (id: string) => state.balances.get(id) ?? 0n;
  const debit = (id: string): bigint => {
    const next = balanceOf(id) - request.amount;
    if (next < 0n) {
      throw violation(
        'insufficient_balance',
        `investor ${id} holds ${balanceOf(id)}, less than ${request.amount}`,
      );
    }
    return next;
  };

  const balances = new Map<string, bigint>();
  let totalSupply = asset.totalSupply;
  switch (request.kind) {
    case 'mint': {
      const receiver = party(request.to, 'receiver');
      receiverAllowed(receiver);
      totalSupply += request.amount;
      // Without an explicit cap, supply is still bounded by the 256-bit amount range of the ledger.
      const cap = asset.maxSupply ?? MAX_AMOUNT;
      if (totalSupply > cap) {
        throw violation('max_supply_exceeded', `minting ${request.amount} would exceed max supply ${cap}`);
      }
      balances.set(receiver.id, balanceOf(receiver.id) + request.amount);
      break;
    }
    case 'transfer': {
      const sender = party(request.from, 'sender');
      const receiver = party(request.to, 'receiver');
      if (sender.id === receiver.id)
        throw violation('self_transfer', 'sender and receiver are the same investor');
      receiverAllowed(receiver);
      balances.set(sender.id, debit(sender.id));
      balances.set(receiver.id, balanceOf(receiver.id) + request.amount);
      break;
    }
    case 'burn':
    case 'redeem': {
      const holder = party(request.from, 'holder');
      balances.set(holder.id, debit(holder.id));
      totalSupply -= request.amount;
      break;
    }
  }
  return { balances, totalSupply };
}

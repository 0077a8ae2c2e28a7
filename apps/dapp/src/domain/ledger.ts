import { errors } from '../errors.ts';
import { MAX_AMOUNT } from './amounts.ts';
import type { Asset } from './assets.ts';
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

/**
 * The compliance and accounting rules of every ledger write, as a pure function: given the locked state,
 * either the new balances and supply or the rule that forbids the write. Keeping this free of SQL means the
 * invariant (sum of balances == total supply, nothing negative, supply <= max) is decided in one place.
 */
export function planLedgerWrite(state: LedgerState, request: LedgerRequest): LedgerPlan {
  const { asset } = state;
  if (asset.status !== 'active') {
    throw errors.assetNotActive(asset.symbol, asset.status);
  }
  const party = (id: string | undefined, role: 'sender' | 'receiver' | 'holder'): Investor => {
    const investor = id === undefined ? undefined : state.investors.get(id);
    if (!investor) throw errors.investorNotFound(role, id);
    if (investor.kycStatus !== 'verified') {
      throw errors.kycNotVerified(role, investor.id, investor.kycStatus);
    }
    return investor;
  };
  const receiverAllowed = (receiver: Investor) => {
    if (asset.allowedCountries && !asset.allowedCountries.includes(receiver.country)) {
      throw errors.countryNotAllowed(asset.symbol, receiver.country, asset.allowedCountries);
    }
  };
  const balanceOf = (id: string) => state.balances.get(id) ?? 0n;
  const debit = (id: string): bigint => {
    const next = balanceOf(id) - request.amount;
    if (next < 0n) {
      throw errors.insufficientBalance(id, balanceOf(id), request.amount);
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
        throw errors.maxSupplyExceeded(request.amount, cap);
      }
      balances.set(receiver.id, balanceOf(receiver.id) + request.amount);
      break;
    }
    case 'transfer': {
      const sender = party(request.from, 'sender');
      const receiver = party(request.to, 'receiver');
      if (sender.id === receiver.id) throw errors.selfTransfer();
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

/** One applied ledger write, as the journal keeps it. */
export interface JournalEntry {
  id: string;
  assetId: string;
  kind: LedgerKind;
  from: string | null;
  to: string | null;
  amount: bigint;
  /** The supply a mint, burn or redemption left; null for a transfer, which does not change it. */
  totalSupply: bigint | null;
  createdAt: string;
}

/** Every holder of an asset with a positive balance, and its total supply. */
export interface Holders {
  assetId: string;
  totalSupply: bigint;
  holders: Array<{ investorId: string; balance: bigint }>;
}

import type { Static } from 'typebox';
import type { Asset } from '../domain/assets.ts';
import type { Document } from '../domain/documents.ts';
import type { Principal } from '../domain/identity.ts';
import type { Investor } from '../domain/investors.ts';
import type { Holders, JournalEntry } from '../domain/ledger.ts';
import type { ApiKeyRecord } from '../store/api-keys.ts';
import type { Page } from '../store/pagination.ts';
import type {
  ApiKeyCreated,
  ApiKeyView,
  AssetView,
  DocumentView,
  HoldersView,
  InvestorView,
  JournalEntryView,
} from './schemas.ts';

// The one way domain records become API shapes: a function per shape, typed by the response schema the
// route declares (schemas.ts), so the shape and its schema cannot drift apart. Amounts (bigint in the
// domain) become decimal strings; what clients never see (a document's object key) is left out.

export function assetView(asset: Asset): Static<typeof AssetView> {
  return {
    id: asset.id,
    symbol: asset.symbol,
    name: asset.name,
    type: asset.type,
    decimals: asset.decimals,
    maxSupply: asset.maxSupply?.toString() ?? null,
    totalSupply: asset.totalSupply.toString(),
    allowedCountries: asset.allowedCountries,
    ...asset.details,
    status: asset.status,
    createdAt: asset.createdAt,
    updatedAt: asset.updatedAt,
  };
}

export function investorView(investor: Investor): Static<typeof InvestorView> {
  return {
    id: investor.id,
    name: investor.name,
    country: investor.country,
    kycStatus: investor.kycStatus,
    createdAt: investor.createdAt,
    updatedAt: investor.updatedAt,
  };
}

export function journalEntryView(entry: JournalEntry): Static<typeof JournalEntryView> {
  return {
    id: entry.id,
    assetId: entry.assetId,
    kind: entry.kind,
    from: entry.from,
    to: entry.to,
    amount: entry.amount.toString(),
    totalSupply: entry.totalSupply?.toString() ?? null,
    createdAt: entry.createdAt,
  };
}

export function holdersView(holders: Holders): Static<typeof HoldersView> {
  return {
    assetId: holders.assetId,
    totalSupply: holders.totalSupply.toString(),
    holders: holders.holders.map((h) => ({ investorId: h.investorId, balance: h.balance.toString() })),
  };
}

export function documentView(document: Document): Static<typeof DocumentView> {
  return {
    id: document.id,
    assetId: document.assetId,
    name: document.name,
    contentType: document.contentType,
    size: document.size,
    sha256: document.sha256,
    createdBy: document.createdBy,
    createdAt: document.createdAt,
  };
}

export function apiKeyCreatedView(
  created: Principal & { key: string; createdAt: string },
): Static<typeof ApiKeyCreated> {
  return {
    id: created.id,
    name: created.name,
    role: created.role,
    key: created.key,
    createdAt: created.createdAt,
  };
}

export function apiKeyView(key: ApiKeyRecord): Static<typeof ApiKeyView> {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    createdBy: key.createdBy,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

/** A page of records as a page of their views. */
export function pageView<T, V>(
  page: Page<T>,
  view: (item: T) => V,
): { items: V[]; nextCursor: string | null } {
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}

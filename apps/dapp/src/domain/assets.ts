import { errors } from '../errors.ts';
import { parseAmount } from './amounts.ts';
import { isCountryCode } from './countries.ts';

export const ASSET_TYPES = ['bond', 'equity', 'fund', 'stablecoin', 'deposit'] as const;
export type AssetType = (typeof ASSET_TYPES)[number];

export const ASSET_STATUSES = ['draft', 'active', 'paused', 'closed'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

export interface Asset {
  id: string;
  symbol: string;
  name: string;
  type: AssetType;
  decimals: number;
  maxSupply: bigint | null;
  totalSupply: bigint;
  allowedCountries: string[] | null;
  details: AssetDetails;
  status: AssetStatus;
  createdAt: string;
  updatedAt: string;
}

export interface AssetDetails {
  faceValue?: string;
  maturityDate?: string;
}

export interface NewAssetInput {
  symbol: string;
  name: string;
  type: AssetType;
  decimals: number;
  maxSupply?: string;
  allowedCountries?: string[];
  faceValue?: string;
  maturityDate?: string;
}

export interface NewAsset {
  symbol: string;
  name: string;
  type: AssetType;
  decimals: number;
  maxSupply: bigint | null;
  allowedCountries: string[] | null;
  details: AssetDetails;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Validates what a JSON schema cannot: type-specific fields, real dates, country codes. */
export function validateNewAsset(input: NewAssetInput): NewAsset {
  const details: AssetDetails = {};
  if (input.type === 'bond') {
    if (input.faceValue === undefined || input.maturityDate === undefined) {
      throw errors.bondTermsRequired();
    }
    parseAmount(input.faceValue, 'faceValue');
    if (!ISO_DATE.test(input.maturityDate) || Number.isNaN(Date.parse(`${input.maturityDate}T00:00:00Z`))) {
      throw errors.invalidDate();
    }
    // Date.parse accepts 2025-02-31 by rolling over; compare the round trip to reject it.
    if (new Date(`${input.maturityDate}T00:00:00Z`).toISOString().slice(0, 10) !== input.maturityDate) {
      throw errors.invalidDate();
    }
    details.faceValue = input.faceValue;
    details.maturityDate = input.maturityDate;
  } else if (input.faceValue !== undefined || input.maturityDate !== undefined) {
    throw errors.bondTermsNotAllowed();
  }
  let allowedCountries: string[] | null = null;
  if (input.allowedCountries !== undefined) {
    const bad = input.allowedCountries.filter((c) => !isCountryCode(c));
    if (bad.length > 0) {
      throw errors.invalidCountry(bad);
    }
    allowedCountries = [...new Set(input.allowedCountries)].sort();
  }
  return {
    symbol: input.symbol,
    name: input.name,
    type: input.type,
    decimals: input.decimals,
    maxSupply: input.maxSupply === undefined ? null : parseAmount(input.maxSupply, 'maxSupply'),
    allowedCountries,
    details,
  };
}

const TRANSITIONS: Record<AssetStatus, readonly AssetStatus[]> = {
  draft: ['active'],
  active: ['paused', 'closed'],
  paused: ['active', 'closed'],
  closed: [],
};

/** The asset lifecycle: draft -> active <-> paused, active|paused -> closed. */
export function assertTransition(from: AssetStatus, to: AssetStatus): void {
  if (!TRANSITIONS[from].includes(to)) {
    throw errors.invalidTransition(from, to);
  }
}

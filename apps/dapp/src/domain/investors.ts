import { errors } from '../errors.ts';
import { isCountryCode } from './countries.ts';

export const KYC_STATUSES = ['pending', 'verified', 'revoked'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];

export interface Investor {
  id: string;
  name: string;
  country: string;
  kycStatus: KycStatus;
  createdAt: string;
  updatedAt: string;
}

export function assertCountry(country: string): void {
  if (!isCountryCode(country)) {
    throw errors.invalidCountry([country], true);
  }
}

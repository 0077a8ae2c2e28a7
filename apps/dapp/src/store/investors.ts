import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../adapters/postgres/database.ts';
import type { Actor } from '../domain/identity.ts';
import { assertCountry, type Investor, type KycStatus } from '../domain/investors.ts';
import { errors } from '../errors.ts';
import { recordAudit } from './audit.ts';
import { type Page, pageById } from './pagination.ts';

export interface InvestorRow {
  id: string;
  name: string;
  country: string;
  kyc_status: KycStatus;
  created_at: Date;
  updated_at: Date;
}

export function investorFromRow(row: InvestorRow): Investor {
  return {
    id: row.id,
    name: row.name,
    country: row.country,
    kycStatus: row.kyc_status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export interface InvestorPatch {
  name?: string;
  country?: string;
  kycStatus?: KycStatus;
}

export class InvestorStore {
  constructor(private readonly db: Database) {}

  async create(
    input: { name: string; country: string; kycStatus: KycStatus },
    actor: Actor,
  ): Promise<Investor> {
    assertCountry(input.country);
    return this.db.transaction(async (tx) => {
      const id = uuidv7();
      const { rows } = await tx.query<InvestorRow>(
        'INSERT INTO investors (id, name, country, kyc_status) VALUES ($1, $2, $3, $4) RETURNING *',
        [id, input.name, input.country, input.kycStatus],
      );
      await recordAudit(
        tx,
        actor,
        'investor.create',
        { type: 'investor', id },
        { kycStatus: input.kycStatus },
      );
      return investorFromRow(rows[0]!);
    });
  }

  async get(id: string): Promise<Investor> {
    const { rows } = await this.db.query<InvestorRow>('SELECT * FROM investors WHERE id = $1', [id]);
    if (!rows[0]) throw errors.investorNotFound('investor', id);
    return investorFromRow(rows[0]);
  }

  list(limit: number, cursor?: string): Promise<Page<Investor>> {
    return pageById<InvestorRow, Investor>(this.db, 'investors', investorFromRow, limit, cursor);
  }

  async update(id: string, patch: InvestorPatch, actor: Actor): Promise<Investor> {
    if (patch.country !== undefined) assertCountry(patch.country);
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<InvestorRow>(
        `UPDATE investors SET name = COALESCE($2, name), country = COALESCE($3, country),
           kyc_status = COALESCE($4, kyc_status), updated_at = now()
         WHERE id = $1 RETURNING *`,
        [id, patch.name ?? null, patch.country ?? null, patch.kycStatus ?? null],
      );
      if (!rows[0]) throw errors.investorNotFound('investor', id);
      await recordAudit(tx, actor, 'investor.update', { type: 'investor', id }, { ...patch });
      return investorFromRow(rows[0]);
    });
  }
}

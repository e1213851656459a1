import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface AccountInput {
  id: string;
  name?: string;
  tier?: string;
}

export interface ReporterInput {
  email?: string;
  name?: string;
  id?: string;
}

function domainOf(email: string | undefined): string | null {
  const at = email?.lastIndexOf('@') ?? -1;
  return email && at > 0 ? email.slice(at + 1).toLowerCase() : null;
}

interface AccountRow {
  id: string;
  name: string | null;
  tier: string | null;
  email_domains: string[];
}

interface ReporterRow {
  id: string;
  name: string | null;
  email: string | null;
  account_id: string | null;
}

/**
 * Finds or creates accounts and reporters, one statement each on the way of every report:
 * insert-or-ignore and read back together. Concurrent reports from the same new customer
 * converge on one row instead of failing; the row is only locked when something changed.
 */
@Injectable()
export class AccountsService {
  async upsertAccount(
    manager: EntityManager,
    projectId: string,
    input: AccountInput,
    reporterEmail?: string,
  ): Promise<{ id: string }> {
    const domain = domainOf(reporterEmail);
    const account = await insertOrFind<AccountRow>(
      manager,
      `INSERT INTO accounts (project_id, external_id, name, tier, email_domains)
         VALUES ($1, $2, $3, $4, $5::text[])
         ON CONFLICT DO NOTHING
         RETURNING id, name, tier, email_domains`,
      [projectId, input.id, input.name ?? null, input.tier ?? null, domain ? [domain] : []],
      `SELECT id, name, tier, email_domains FROM accounts WHERE project_id = $1 AND external_id = $2`,
      [projectId, input.id],
    );
    const name = input.name && input.name !== account.name ? input.name : null;
    const tier = input.tier && input.tier !== account.tier ? input.tier : null;
    const newDomain = domain && !account.email_domains.includes(domain) ? domain : null;
    if (name || tier || newDomain) {
      // A domain is appended in SQL, so two reports adding different domains keep both.
      await manager.query(
        `UPDATE accounts SET name = coalesce($2, name), tier = coalesce($3, tier),
           email_domains = CASE WHEN $4::text IS NULL OR $4 = ANY(email_domains) THEN email_domains
                                ELSE array_append(email_domains, $4) END,
           updated_at = now()
         WHERE id = $1`,
        [account.id, name, tier, newDomain],
      );
    }
    return { id: account.id };
  }

  async upsertReporter(
    manager: EntityManager,
    projectId: string,
    input: ReporterInput,
    accountId: string | null,
  ): Promise<{ id: string }> {
    const email = input.email?.toLowerCase() ?? null;
    const externalId = input.id ?? null;
    // Known by the customer's user id, or else by email (the two partial unique indexes).
    const [where, key] = externalId
      ? ['external_id = $2', externalId]
      : ['external_id IS NULL AND email = $2', email];
    const reporter = await insertOrFind<ReporterRow>(
      manager,
      `INSERT INTO reporters (project_id, email, external_id, name, account_id)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING
         RETURNING id, name, email, account_id`,
      [projectId, email, externalId, input.name ?? null, accountId],
      `SELECT id, name, email, account_id FROM reporters WHERE project_id = $1 AND ${where}`,
      [projectId, key],
    );
    const name = input.name && input.name !== reporter.name ? input.name : null;
    const newEmail = email && email !== reporter.email ? email : null;
    const newAccount = accountId && accountId !== reporter.account_id ? accountId : null;
    if (name || newEmail || newAccount) {
      await manager.query(
        `UPDATE reporters SET name = coalesce($2, name), email = coalesce($3, email),
           account_id = coalesce($4, account_id)
         WHERE id = $1`,
        [reporter.id, name, newEmail, newAccount],
      );
    }
    return { id: reporter.id };
  }
}

/**
 * Inserts a row, or finds the one that is there, in one round trip. A row another transaction
 * committed while the insert waited for it is not in that statement's snapshot: then a second
 * statement reads it.
 */
async function insertOrFind<Row>(
  manager: EntityManager,
  insert: string,
  insertParams: unknown[],
  select: string,
  selectParams: unknown[],
): Promise<Row> {
  const n = insertParams.length;
  // The select's parameters follow the insert's: $1 becomes $(n+1).
  const shifted = select.replace(/\$(\d+)/g, (_, i: string) => `$${Number(i) + n}`);
  const rows = await manager.query<Row[]>(
    `WITH inserted AS (${insert})
     SELECT * FROM inserted
     UNION ALL (${shifted} AND NOT EXISTS (SELECT 1 FROM inserted))`,
    [...insertParams, ...selectParams],
  );
  if (rows[0]) return rows[0];
  const again = await manager.query<Row[]>(select, selectParams);
  if (!again[0]) throw new Error('A row inserted or found is gone');
  return again[0];
}

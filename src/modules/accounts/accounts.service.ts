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
  /**
   * The account (its external id) a mail's sender belongs to, when the project knows: an
   * account whose email domains include the address's domain, else the account of the reporter
   * with that address. Null when neither.
   */
  async accountForEmail(
    manager: EntityManager,
    projectId: string,
    address: string,
  ): Promise<string | null> {
    const email = address.toLowerCase();
    const rows: { external_id: string }[] = await manager.query(
      `SELECT external_id FROM accounts WHERE project_id = $1 AND $2 = ANY(email_domains)
       UNION ALL
       SELECT a.external_id FROM reporters r JOIN accounts a ON a.id = r.account_id
        WHERE r.project_id = $1 AND lower(r.email) = $3
       LIMIT 1`,
      [projectId, domainOf(email), email],
    );
    return rows[0]?.external_id ?? null;
  }

  async upsertAccount(
    manager: EntityManager,
    projectId: string,
    input: AccountInput,
    reporterEmail?: string,
  ): Promise<{ id: string }> {
    const [id] = await this.upsertAccounts(manager, [{ projectId, input, reporterEmail }]);
    return { id };
  }

  async upsertReporter(
    manager: EntityManager,
    projectId: string,
    input: ReporterInput,
    accountId: string | null,
  ): Promise<{ id: string }> {
    const [id] = await this.upsertReporters(manager, [{ projectId, input, accountId }]);
    return { id };
  }

  /**
   * The accounts of a batch of reports, in their order: the new ones inserted and the known ones
   * read in one statement; names, tiers and email domains that changed are updated after.
   */
  async upsertAccounts(manager: EntityManager, arrivals: AccountArrival[]): Promise<string[]> {
    const keyOf = (projectId: string, externalId: string) => `${projectId}\u0000${externalId}`;
    const wanted = new Map<
      string,
      {
        projectId: string;
        externalId: string;
        name: string | null;
        tier: string | null;
        domains: Set<string>;
      }
    >();
    for (const { projectId, input, reporterEmail } of arrivals) {
      const key = keyOf(projectId, input.id);
      const entry = wanted.get(key) ?? {
        projectId,
        externalId: input.id,
        name: null,
        tier: null,
        domains: new Set<string>(),
      };
      entry.name = input.name || entry.name;
      entry.tier = input.tier || entry.tier;
      const domain = domainOf(reporterEmail);
      if (domain) entry.domains.add(domain);
      wanted.set(key, entry);
    }
    const entries = [...wanted.values()];
    const rows = await manager.query<(AccountRow & { project_id: string; external_id: string })[]>(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
           AS t(project_id, external_id, name, tier, domain)
       ), inserted AS (
         INSERT INTO accounts (project_id, external_id, name, tier, email_domains)
         SELECT project_id, external_id, name, tier,
                CASE WHEN domain IS NULL THEN '{}'::text[] ELSE ARRAY[domain] END
           FROM input
         ON CONFLICT DO NOTHING
         RETURNING id, project_id, external_id, name, tier, email_domains
       )
       SELECT * FROM inserted
       UNION ALL
       SELECT a.id, a.project_id, a.external_id, a.name, a.tier, a.email_domains
         FROM accounts a JOIN input i USING (project_id, external_id)
        WHERE NOT EXISTS (SELECT 1 FROM inserted n
                           WHERE n.project_id = a.project_id AND n.external_id = a.external_id)`,
      [
        entries.map((e) => e.projectId),
        entries.map((e) => e.externalId),
        entries.map((e) => e.name),
        entries.map((e) => e.tier),
        entries.map((e) => [...e.domains][0] ?? null),
      ],
    );
    const found = new Map(rows.map((r) => [keyOf(r.project_id, r.external_id), r]));
    for (const entry of entries) {
      const key = keyOf(entry.projectId, entry.externalId);
      // Committed by another transaction while the insert waited: not in its snapshot.
      found.set(
        key,
        found.get(key) ?? (await this.findAccount(manager, entry.projectId, entry.externalId)),
      );
    }
    const changed = entries
      .map((e) => {
        const row = found.get(keyOf(e.projectId, e.externalId))!;
        return {
          id: row.id,
          name: e.name && e.name !== row.name ? e.name : null,
          tier: e.tier && e.tier !== row.tier ? e.tier : null,
          domains: [...e.domains].filter((d) => !row.email_domains.includes(d)),
        };
      })
      .filter((c) => c.name || c.tier || c.domains.length)
      // Rows locked in one order by every batch: two batches never wait on each other in a cycle.
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const change of changed) {
      await manager.query(
        `UPDATE accounts SET name = coalesce($2, name), tier = coalesce($3, tier),
           email_domains = email_domains ||
             ARRAY(SELECT d FROM unnest($4::text[]) d WHERE d <> ALL(email_domains)),
           updated_at = now()
         WHERE id = $1`,
        [change.id, change.name, change.tier, change.domains],
      );
    }
    return arrivals.map(({ projectId, input }) => found.get(keyOf(projectId, input.id))!.id);
  }

  /** The reporters of a batch of reports, in their order; see upsertAccounts. */
  async upsertReporters(manager: EntityManager, arrivals: ReporterArrival[]): Promise<string[]> {
    // Known by the customer's user id, or else by email (the two partial unique indexes).
    const keyOf = (projectId: string, externalId: string | null, email: string | null) =>
      externalId
        ? `${projectId}\u0000id\u0000${externalId}`
        : `${projectId}\u0000email\u0000${email}`;
    const wanted = new Map<
      string,
      {
        projectId: string;
        email: string | null;
        externalId: string | null;
        name: string | null;
        accountId: string | null;
      }
    >();
    for (const { projectId, input, accountId } of arrivals) {
      const email = input.email?.toLowerCase() ?? null;
      const externalId = input.id ?? null;
      const key = keyOf(projectId, externalId, email);
      const entry = wanted.get(key) ?? {
        projectId,
        email: null,
        externalId,
        name: null,
        accountId: null,
      };
      entry.email = email ?? entry.email;
      entry.name = input.name || entry.name;
      entry.accountId = accountId ?? entry.accountId;
      wanted.set(key, entry);
    }
    const entries = [...wanted.values()];
    const rows = await manager.query<
      (ReporterRow & { project_id: string; external_id: string | null })[]
    >(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[])
           AS t(project_id, email, external_id, name, account_id)
       ), inserted AS (
         INSERT INTO reporters (project_id, email, external_id, name, account_id)
         SELECT project_id, email, external_id, name, account_id FROM input
         ON CONFLICT DO NOTHING
         RETURNING id, project_id, external_id, name, email, account_id
       )
       SELECT * FROM inserted
       UNION ALL
       SELECT r.id, r.project_id, r.external_id, r.name, r.email, r.account_id
         FROM reporters r JOIN input i ON r.project_id = i.project_id
          AND (r.external_id = i.external_id
               OR (i.external_id IS NULL AND r.external_id IS NULL AND r.email = i.email))
        WHERE NOT EXISTS (SELECT 1 FROM inserted n WHERE n.id = r.id)`,
      [
        entries.map((e) => e.projectId),
        entries.map((e) => e.email),
        entries.map((e) => e.externalId),
        entries.map((e) => e.name),
        entries.map((e) => e.accountId),
      ],
    );
    const found = new Map(rows.map((r) => [keyOf(r.project_id, r.external_id, r.email), r]));
    for (const entry of entries) {
      const key = keyOf(entry.projectId, entry.externalId, entry.email);
      found.set(
        key,
        found.get(key) ??
          (await this.findReporter(manager, entry.projectId, entry.externalId, entry.email)),
      );
    }
    const changed = entries
      .map((e) => {
        const row = found.get(keyOf(e.projectId, e.externalId, e.email))!;
        return {
          id: row.id,
          name: e.name && e.name !== row.name ? e.name : null,
          email: e.email && e.email !== row.email ? e.email : null,
          accountId: e.accountId && e.accountId !== row.account_id ? e.accountId : null,
        };
      })
      .filter((c) => c.name || c.email || c.accountId)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const change of changed) {
      await manager.query(
        `UPDATE reporters SET name = coalesce($2, name), email = coalesce($3, email),
           account_id = coalesce($4, account_id)
         WHERE id = $1`,
        [change.id, change.name, change.email, change.accountId],
      );
    }
    return arrivals.map(({ projectId, input }) => {
      const key = keyOf(projectId, input.id ?? null, input.email?.toLowerCase() ?? null);
      return found.get(key)!.id;
    });
  }

  private async findAccount(manager: EntityManager, projectId: string, externalId: string) {
    const [row] = await manager.query<(AccountRow & { project_id: string; external_id: string })[]>(
      `SELECT id, project_id, external_id, name, tier, email_domains FROM accounts
        WHERE project_id = $1 AND external_id = $2`,
      [projectId, externalId],
    );
    if (!row) throw new Error('An account inserted or found is gone');
    return row;
  }

  private async findReporter(
    manager: EntityManager,
    projectId: string,
    externalId: string | null,
    email: string | null,
  ) {
    const [row] = await manager.query<
      (ReporterRow & { project_id: string; external_id: string | null })[]
    >(
      externalId
        ? `SELECT id, project_id, external_id, name, email, account_id FROM reporters
            WHERE project_id = $1 AND external_id = $2`
        : `SELECT id, project_id, external_id, name, email, account_id FROM reporters
            WHERE project_id = $1 AND external_id IS NULL AND email = $2`,
      [projectId, externalId ?? email],
    );
    if (!row) throw new Error('A reporter inserted or found is gone');
    return row;
  }
}

/** One account named by one report of a batch. */
export interface AccountArrival {
  projectId: string;
  input: AccountInput;
  reporterEmail?: string;
}

/** One reporter named by one report of a batch. */
export interface ReporterArrival {
  projectId: string;
  input: ReporterInput;
  accountId: string | null;
}

import type { DataSource } from 'typeorm';
import { PendingCreateRow } from './pending-create.entity';
import type { PendingCreate, PendingCreates } from './pending-creates';

/** PendingCreates in PostgreSQL; each call commits on its own, before or after the vendor call. */
export class PgPendingCreates implements PendingCreates {
  constructor(private readonly db: DataSource) {}

  async begin(reportId: string, repo: string): Promise<void> {
    await this.db
      .createQueryBuilder()
      .insert()
      .into(PendingCreateRow)
      .values({ reportId, repo: repo.toLowerCase() })
      .orIgnore()
      .execute();
  }

  async done(reportId: string, repo: string, number: number): Promise<void> {
    await this.db
      .createQueryBuilder()
      .insert()
      .into(PendingCreateRow)
      .values({ reportId, repo: repo.toLowerCase(), issueNumber: number })
      .orUpdate(['issue_number'], ['report_id', 'repo'])
      .execute();
  }

  async find(reportId: string, repo: string): Promise<PendingCreate | null> {
    const row = await this.db
      .getRepository(PendingCreateRow)
      .findOneBy({ reportId, repo: repo.toLowerCase() });
    return row
      ? { reportId, repo: row.repo, startedAt: row.startedAt, number: row.issueNumber }
      : null;
  }
}

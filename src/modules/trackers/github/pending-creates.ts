/** A create that was started for a report in a repository, and the issue number once known. */
export interface PendingCreate {
  reportId: string;
  /** `owner/name`: a number only means something within its repository. */
  repo: string;
  /** When the first attempt began; the issue, if it exists, was created after this. */
  startedAt: Date;
  /** Null until the create's answer was recorded (a crash may come in between). */
  number: number | null;
}

/**
 * Durable notes written before an issue is created, so a retry after a crash can find the issue
 * without GitHub search, which is eventually consistent and may not show it yet.
 */
export interface PendingCreates {
  /** Record that a create is about to start. Keeps the first `startedAt` if one exists. */
  begin(reportId: string, repo: string): Promise<void>;
  /** Record the issue number the create answered with. */
  done(reportId: string, repo: string, number: number): Promise<void>;
  find(reportId: string, repo: string): Promise<PendingCreate | null>;
}

/** For tests and single-process use; production wants the PostgreSQL one. */
export class InMemoryPendingCreates implements PendingCreates {
  private readonly records = new Map<string, PendingCreate>();

  begin(reportId: string, repo: string): Promise<void> {
    const key = `${repo}\n${reportId}`;
    if (!this.records.has(key)) {
      this.records.set(key, { reportId, repo, startedAt: new Date(), number: null });
    }
    return Promise.resolve();
  }

  done(reportId: string, repo: string, number: number): Promise<void> {
    const key = `${repo}\n${reportId}`;
    const record = this.records.get(key);
    this.records.set(key, {
      reportId,
      repo,
      startedAt: record?.startedAt ?? new Date(),
      number,
    });
    return Promise.resolve();
  }

  find(reportId: string, repo: string): Promise<PendingCreate | null> {
    const record = this.records.get(`${repo}\n${reportId}`);
    return Promise.resolve(record ? { ...record } : null);
  }
}

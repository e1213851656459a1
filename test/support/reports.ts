import request from 'supertest';
import type { ReportView } from '../../src/modules/intake/intake.service';
import type { ReportStatus } from '../../src/modules/reports/report-state-machine';
import { waitFor } from './harness';

/** The transitions of a report that goes straight through to a new ticket. */
export const FULL_PIPELINE: [ReportStatus | null, ReportStatus][] = [
  [null, 'received'],
  ['received', 'analyzing'],
  ['analyzing', 'clarifying'],
  ['clarifying', 'deduping'],
  ['deduping', 'filing'],
  ['filing', 'filed'],
];

/** Polls GET /v1/reports/:id until the report has `status`; returns that view. */
export async function waitForReport(
  baseUrl: string,
  auth: Record<string, string>,
  id: string,
  status: ReportStatus,
): Promise<ReportView> {
  return waitFor(
    async () => {
      const res = await request(baseUrl).get(`/v1/reports/${id}`).set(auth);
      const view = res.body as ReportView;
      return view.status === status ? view : undefined;
    },
    { what: `report ${id} to be ${status}` },
  );
}

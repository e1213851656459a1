import type { ReportListItem } from './types';

/** The inbox's rows by id: the report page shows their words while its own view loads. */
export const listed = new Map<string, ReportListItem>();

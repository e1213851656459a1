/** One issue of the destination as the mirror stores it (a row of `tracker_issues`). */
export interface MirroredIssue {
  /** Linear issue id; GitHub node_id. */
  externalId: string;
  /** ENG-431, acme/web#88. */
  key: string;
  url: string;
  title: string;
  body: string;
  /** The tracker's own state name. */
  state: string;
  /** Not done, closed or cancelled. */
  open: boolean;
  labels: string[];
  remoteUpdatedAt: Date;
}

/** One page of a destination's issues, oldest cursor first. */
export interface MirrorPage {
  issues: MirroredIssue[];
  /** Where the next page starts; null when this was the last page. */
  nextCursor: string | null;
}

/** What a mirror sync asks an adapter for. */
export interface MirrorPageRequest {
  /** From a previous page's nextCursor; absent for the first page. */
  cursor?: string | null;
  /** Only issues changed at or after this time (incremental runs). */
  updatedSince?: Date | null;
  pageSize: number;
}

/** An adapter that can list its destination's issues page by page. */
export interface MirrorSource {
  listIssuesPage(request: MirrorPageRequest): Promise<MirrorPage>;
}

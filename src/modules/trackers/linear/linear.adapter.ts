import type { Severity } from '../../triage/engine/triage.types';
import type { PriorityLevel } from '../../triage/engine/ticket/priority';
import { createHash } from 'node:crypto';
import { LinearClient, type Issue } from '@linear/sdk';
import type { Project } from '../../projects/entities/project.entity';
import { inertQuote } from '../../../common/inert-text';
import type { TicketCustomer, TicketDraft, TrackerAdapter, TrackerIssue } from '../tracker';
import { TrackerError } from '../tracker';
import { toTrackerError } from './linear-errors';
import type { MirrorPage, MirrorPageRequest } from '../mirror/mirrored-issue';

export interface LinearAdapterOptions {
  apiKey: string;
  /** Linear's GraphQL endpoint; a fake one in tests. */
  apiUrl?: string;
  /** Team key (`ENG`) or id. */
  team: string;
  /** Label names put on every issue; missing ones are created in the team. */
  defaultLabels: string[];
  /** Workflow state name for new issues; Linear's team default otherwise. */
  defaultState?: string;
  /** Deadline for one adapter call, all its requests together. Default 30 s. */
  timeoutMs?: number;
}

/** A ticket draft with what only Linear understands. */
export interface LinearTicketDraft extends Omit<TicketDraft, 'priority'> {
  /** Repro's priority (see LINEAR_PRIORITY), or Linear's own number: 0 none, 1 urgent … 4 low. */
  priority?: TicketDraft['priority'] | number;
}

export interface LinearCustomerAccount {
  externalId: string;
  name: string;
  domains: string[];
  tier?: string | null;
  /** Annual revenue in whole currency units (Linear stores an Int). */
  revenue?: number | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_TIMEOUT_MS = 30_000;
const INT32_MAX = 2_147_483_647;
export const MARKER_ATTACHMENT_TITLE = 'Repro report';

/**
 * A UUID v4-shaped id (what Linear's create inputs accept as `id`) derived from `name`, so a
 * retried create reuses the id and Linear refuses it instead of making a second entity.
 */
export function deterministicLinearId(name: string): string {
  const hex = createHash('sha256').update(`repro:${name}`).digest('hex').slice(0, 32);
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The Linear id a report's issue gets (from the report id alone, so a changed PUBLIC_URL does
 * not change it): a retry after a crash finds the issue by id, and a concurrent second create
 * is refused by Linear instead of duplicating it.
 */
export function linearIssueIdFor(reportId: string): string {
  return deterministicLinearId(`issue:${reportId}`);
}

/**
 * One request per page with the state and labels inline: the SDK's `issues()` models fetch
 * each issue's state lazily, one request per issue, which a rate-limited sync cannot afford.
 */
const MIRROR_ISSUES_QUERY = `
  query MirrorIssues($filter: IssueFilter, $first: Int, $after: String, $orderBy: PaginationOrderBy) {
    issues(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
      nodes {
        id
        identifier
        url
        title
        description
        updatedAt
        state { name type }
        labels(first: 50) { nodes { name } }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface MirrorIssuesResult {
  issues: {
    nodes: {
      id: string;
      identifier: string;
      url: string;
      title: string;
      description: string | null;
      updatedAt: string;
      state: { name: string; type: string } | null;
      labels: { nodes: { name: string }[] };
    }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** Workflow state types of issues that are no longer open. */
const CLOSED_STATE_TYPES = new Set(['completed', 'canceled']);

/** Makes a create safe to repeat: the same key gives the same Linear id. */
export interface IdempotentCall {
  idempotencyKey?: string;
}

/** Linear's priorities: 1 urgent, 2 high, 3 medium (normal), 4 low. */
const LINEAR_PRIORITY: Record<Severity, number> = { urgent: 1, high: 2, medium: 3, low: 4 };

/** Files reports as Linear issues, tagged with a link back to the report. */
export class LinearAdapter implements TrackerAdapter {
  readonly provider = 'linear' as const;

  constructor(
    private readonly options: LinearAdapterOptions,
    private readonly publicUrl: string,
  ) {}

  /** The report's page in Repro: the URL of the marker attachment on its issue. */
  reproUrl(reportId: string): string {
    return `${this.publicUrl.replace(/\/+$/, '')}/v1/reports/${reportId}`;
  }

  async findByReport(_project: Project, reportId: string): Promise<TrackerIssue | null> {
    return this.call('findByReport', async (client) => {
      const url = this.reproUrl(reportId);
      const attachments = await client.attachmentsForURL(url);
      for (const attachment of attachments.nodes) {
        const issue = await attachment.issue;
        if (issue) return this.toIssue(issue);
      }
      // The process may have died between issueCreate and linking the marker: the
      // deterministic id still finds the issue, and the marker is linked now.
      const issue = await this.issueById(client, linearIssueIdFor(reportId));
      if (!issue) return null;
      await client.attachmentLinkURL(issue.id, url, { title: MARKER_ATTACHMENT_TITLE });
      return this.toIssue(issue);
    });
  }

  async createIssue(_project: Project, draft: LinearTicketDraft): Promise<TrackerIssue> {
    return this.call('createIssue', async (client) => {
      const url = this.reproUrl(draft.reportId);
      const issue = await this.createIssueOnly(client, draft);
      await client.attachmentLinkURL(issue.id, url, { title: MARKER_ATTACHMENT_TITLE });
      return this.toIssue(issue);
    });
  }

  /**
   * Only the issueCreate step of `createIssue`, without the marker link: what a crash right
   * after issueCreate leaves behind. Exposed for the crash-window test.
   */
  async createIssueWithoutMarker(draft: LinearTicketDraft): Promise<TrackerIssue> {
    return this.call('createIssue', async (client) =>
      this.toIssue(await this.createIssueOnly(client, draft)),
    );
  }

  /** Links a URL (replay, Sentry event) on the issue; linking the same URL again updates it. */
  async addLinkAttachment(issueId: string, url: string, title: string): Promise<void> {
    await this.call('addLinkAttachment', async (client) => {
      await client.attachmentLinkURL(issueId, url, { title });
    });
  }

  /**
   * Creates or updates the Linear customer for the account (matched by external id) and
   * records a customer need on the issue carrying the reporter's words. With an idempotency
   * key, running it again (a retried job) adds no second need.
   */
  async linkCustomer(
    issueId: string,
    account: LinearCustomerAccount,
    body: string,
    { idempotencyKey }: IdempotentCall = {},
  ): Promise<{ customerId: string; needId: string }> {
    return this.call('linkCustomer', async (client) => {
      const upserted = await client.customerUpsert({
        externalId: account.externalId,
        name: account.name,
        domains: account.domains,
        ...(account.tier ? { tierName: account.tier } : {}),
        // Linear stores revenue as a GraphQL Int (32-bit): a value it cannot hold is left out.
        ...(account.revenue != null && Math.abs(account.revenue) <= INT32_MAX
          ? { revenue: Math.round(account.revenue) }
          : {}),
      });
      const customerId = upserted.customerId;
      if (!customerId) throw new Error('Linear customerUpsert returned no customer');
      const id = idempotencyKey ? deterministicLinearId(`need:${idempotencyKey}`) : undefined;
      const needId = await this.createOnce(
        id,
        async () => (await client.createCustomerNeed({ id, customerId, issueId, body })).needId,
        async (needId) =>
          (await client.customerNeeds({ filter: { id: { eq: needId } }, first: 1 })).nodes.length >
          0,
      );
      return { customerId, needId };
    });
  }

  /** Comments on the issue; with an idempotency key, running it again adds no second comment. */
  /** TrackerAdapter: a comment, once per key (a deterministic comment id). */
  async addComment(issue: TrackerIssue, body: string, idempotencyKey: string): Promise<void> {
    await this.comment(issue.externalId, body, { idempotencyKey });
  }

  /** TrackerAdapter: evidence links (the replay) as attachments; relinking a URL updates it. */
  async linkEvidence(issue: TrackerIssue, links: { url: string; title: string }[]): Promise<void> {
    for (const link of links) await this.addLinkAttachment(issue.externalId, link.url, link.title);
  }

  /**
   * TrackerAdapter: the account as a Linear customer, with a need holding the reporter's words,
   * quoted so Linear shows them as text (no links, images or mentions of theirs).
   */
  async linkReportCustomer(
    issue: TrackerIssue,
    customer: TicketCustomer,
    reportId: string,
  ): Promise<void> {
    await this.linkCustomer(
      issue.externalId,
      {
        externalId: customer.externalId,
        name: customer.name,
        domains: customer.domains,
        tier: customer.tier,
        revenue: customer.revenue,
      },
      inertQuote(customer.words),
      { idempotencyKey: `need:${reportId}` },
    );
  }

  /**
   * TrackerAdapter: raises the issue's priority with issueUpdate, unless Linear already has it
   * at `level` or above (someone may have raised it by hand: it is never lowered). The reasons
   * go in the duplicate's comment, not here.
   */
  async setPriority(issue: TrackerIssue, level: PriorityLevel): Promise<boolean> {
    return this.call('setPriority', async (client) => {
      const current = await this.issueById(client, issue.externalId);
      if (!current) throw new TrackerError('NOT_FOUND', `Linear issue ${issue.key} not found`);
      const wanted = LINEAR_PRIORITY[level];
      // 0 is "no priority"; otherwise a smaller number is more pressing.
      if (current.priority !== 0 && current.priority <= wanted) return false;
      await client.updateIssue(current.id, { priority: wanted });
      return true;
    });
  }

  async comment(
    issueId: string,
    body: string,
    { idempotencyKey }: IdempotentCall = {},
  ): Promise<{ commentId: string }> {
    return this.call('comment', async (client) => {
      const id = idempotencyKey ? deterministicLinearId(`comment:${idempotencyKey}`) : undefined;
      const commentId = await this.createOnce(
        id,
        async () => (await client.createComment({ id, issueId, body })).commentId,
        async (commentId) =>
          (await client.comments({ filter: { id: { eq: commentId } }, first: 1 })).nodes.length > 0,
      );
      return { commentId };
    });
  }

  /**
   * One page of the team's issues, most recently updated first, for the open-issue mirror.
   * The cursor is Linear's opaque `endCursor`.
   */
  async listIssuesPage(request: MirrorPageRequest): Promise<MirrorPage> {
    return this.call('listIssuesPage', async (client) => {
      const { team } = this.options;
      const filter: Record<string, unknown> = {
        team: UUID_RE.test(team) ? { id: { eq: team } } : { key: { eq: team } },
        ...(request.updatedSince ? { updatedAt: { gte: request.updatedSince.toISOString() } } : {}),
      };
      const { data } = await client.client.rawRequest<MirrorIssuesResult, Record<string, unknown>>(
        MIRROR_ISSUES_QUERY,
        {
          filter,
          first: request.pageSize,
          after: request.cursor ?? undefined,
          orderBy: 'updatedAt',
        },
      );
      if (!data) throw new TrackerError('TEMPORARY', 'Linear answered the issue list without data');
      const { nodes, pageInfo } = data.issues;
      return {
        issues: nodes.map((n) => ({
          externalId: n.id,
          key: n.identifier,
          url: n.url,
          title: n.title,
          body: n.description ?? '',
          state: n.state?.name ?? 'unknown',
          open: !CLOSED_STATE_TYPES.has(n.state?.type ?? ''),
          labels: n.labels.nodes.map((l) => l.name),
          remoteUpdatedAt: new Date(n.updatedAt),
        })),
        nextCursor: pageInfo.hasNextPage ? pageInfo.endCursor : null,
      };
    });
  }

  /** Runs a create; if it fails because an earlier attempt already made `id`, answers `id`. */
  private async createOnce(
    id: string | undefined,
    create: () => Promise<string | undefined>,
    exists: (id: string) => Promise<boolean>,
  ): Promise<string> {
    let created: string | undefined;
    try {
      created = await create();
    } catch (error) {
      if (id && (await exists(id).catch(() => false))) return id;
      throw error;
    }
    if (!created) throw new Error('Linear answered a create without the created id');
    return created;
  }

  private async createIssueOnly(client: LinearClient, draft: LinearTicketDraft): Promise<Issue> {
    const id = linearIssueIdFor(draft.reportId);
    const teamId = await this.teamId(client);
    const labelIds = await this.labelIds(client, teamId, [
      ...new Set([...this.options.defaultLabels, ...draft.labels]),
    ]);
    const stateId = this.options.defaultState
      ? await this.stateId(client, teamId, this.options.defaultState)
      : undefined;
    const level = typeof draft.priority === 'object' ? draft.priority.level : draft.severity;
    const priority =
      typeof draft.priority === 'number'
        ? draft.priority
        : level
          ? LINEAR_PRIORITY[level]
          : undefined;
    try {
      await client.createIssue({
        id,
        teamId,
        title: draft.title,
        description: draft.body,
        labelIds,
        ...(priority !== undefined ? { priority } : {}),
        ...(stateId ? { stateId } : {}),
      });
    } catch (error) {
      // A concurrent attempt for the same report created it first: Linear refuses the id.
      const existing = await this.issueById(client, id).catch(() => null);
      if (!existing) throw error;
      return existing;
    }
    const issue = await this.issueById(client, id);
    if (!issue) throw new TrackerError('TEMPORARY', 'Linear did not return the issue it created');
    return issue;
  }

  private async issueById(client: LinearClient, id: string): Promise<Issue | null> {
    // A filter answers an empty list for an unknown id, where `issue(id)` answers an error.
    const found = await client.issues({ filter: { id: { eq: id } }, first: 1 });
    return found.nodes[0] ?? null;
  }

  private async teamId(client: LinearClient): Promise<string> {
    const { team } = this.options;
    if (UUID_RE.test(team)) return (await client.team(team)).id;
    const teams = await client.teams({ filter: { key: { eq: team } }, first: 1 });
    const found = teams.nodes[0];
    if (!found) throw new TrackerError('NOT_FOUND', `Linear team ${team} not found`);
    return found.id;
  }

  private async labelIds(client: LinearClient, teamId: string, names: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const name of names) {
      ids.push(
        (await this.findLabel(client, teamId, name)) ??
          (await this.createLabel(client, teamId, name)),
      );
    }
    return ids;
  }

  /** Linear label names are unique ignoring case; the team's own label wins over a workspace one. */
  private async findLabel(
    client: LinearClient,
    teamId: string,
    name: string,
  ): Promise<string | null> {
    const found = await client.issueLabels({
      filter: { name: { eqIgnoreCase: name }, isGroup: { eq: false } },
      first: 50,
    });
    // Another team's label cannot go on this team's issue.
    const usable = found.nodes.filter((l) => !l.teamId || l.teamId === teamId);
    const label = usable.find((l) => l.teamId === teamId) ?? usable[0];
    return label?.id ?? null;
  }

  private async createLabel(client: LinearClient, teamId: string, name: string): Promise<string> {
    try {
      const created = await client.createIssueLabel({ name, teamId });
      if (created.issueLabelId) return created.issueLabelId;
    } catch (error) {
      // Another filing created it in the meantime: use theirs.
      const again = await this.findLabel(client, teamId, name);
      if (again) return again;
      throw error;
    }
    throw new Error(`Linear issueLabelCreate returned no label for ${name}`);
  }

  private async stateId(client: LinearClient, teamId: string, name: string): Promise<string> {
    const states = await client.workflowStates({
      filter: { team: { id: { eq: teamId } }, name: { eqIgnoreCase: name } },
      first: 1,
    });
    const state = states.nodes[0];
    if (!state) throw new TrackerError('NOT_FOUND', `Linear workflow state "${name}" not found`);
    return state.id;
  }

  private async toIssue(issue: Issue): Promise<TrackerIssue> {
    const state = await issue.state;
    return {
      externalId: issue.id,
      key: issue.identifier,
      url: issue.url,
      title: issue.title,
      state: state?.name ?? 'unknown',
    };
  }

  /** One client per call, so the timeout covers the whole call and a hung Linear ends it. */
  private async call<T>(operation: string, run: (client: LinearClient) => Promise<T>): Promise<T> {
    const client = new LinearClient({
      apiKey: this.options.apiKey,
      apiUrl: this.options.apiUrl,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    try {
      return await run(client);
    } catch (error) {
      throw toTrackerError(error, operation);
    }
  }
}

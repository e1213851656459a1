import { Logger } from '@nestjs/common';
import { Octokit } from '@octokit/rest';
import type { Project } from '../../projects/entities/project.entity';
import { isOwnMarker, reportMarker } from '../../triage/engine/ticket/ticket-body';
import { type TicketDraft, type TrackerAdapter, TrackerError, type TrackerIssue } from '../tracker';
import { toTrackerError } from './github-errors';
import type { PendingCreates } from './pending-creates';
import type { MirrorPage, MirrorPageRequest } from '../mirror/mirrored-issue';
import { SEVERITIES } from '../../../common/severity';
import { type PriorityLevel, priorityRank } from '../../triage/engine/ticket/priority';

export const GITHUB_API_URL = 'https://api.github.com';

export interface GitHubAdapterOptions {
  token: string;
  /** `owner/name`. */
  repo: string;
  /** GITHUB_API_URL; for GitHub Enterprise Server, `https://<host>/api/v3`. */
  baseUrl?: string;
  /** Put on every issue. Default `['bug']`. */
  labels?: string[];
  /** Marks issues Repro filed. Default `repro`. */
  reproLabel?: string;
  assignees?: string[];
  /** Written before each create, so a retry after a crash finds the issue without search. */
  pending: PendingCreates;
  /** Per request. Default 15 s. */
  timeoutMs?: number;
  /**
   * Login the token creates issues as. Looked up with `GET /user` when absent; a GitHub App
   * installation token cannot call that and must name its bot (`<app>[bot]`) here.
   */
  creator?: string;
}

/** Extra facts for the create that the draft does not carry as data. */
export interface GitHubCreateContext {
  /** Becomes the label `account:<name>`. */
  accountName?: string | null;
}

/** The label that carries a ticket's priority: `priority: high`. */
export function priorityLabel(level: PriorityLevel): string {
  return `priority: ${level}`;
}

/** The level a label names, when it is one of Repro's priority labels. */
function priorityOfLabel(name: string): PriorityLevel | null {
  const match = name.trim().match(/^priority:\s*(\w+)$/i);
  const level = match?.[1].toLowerCase();
  return SEVERITIES.find((s) => s === level) ?? null;
}

/** GitHub counts characters; it refuses bodies over 65,536. Leave room for the marker. */
const BODY_MAX = 65_000;
/** GitHub's longest label name. */
const LABEL_MAX = 50;
/** Our clock and GitHub's may disagree; look this much further back for a pending create. */
const CLOCK_SKEW_MS = 10 * 60_000;

type GitHubIssue = Awaited<ReturnType<Octokit['rest']['issues']['create']>>['data'];

/** Files Repro tickets as GitHub issues (github.com or Enterprise Server) through Octokit. */
export class GitHubAdapter implements TrackerAdapter {
  readonly provider = 'github' as const;
  readonly owner: string;
  readonly name: string;
  private readonly octokit: Octokit;
  private readonly logger = new Logger(GitHubAdapter.name);
  private creator?: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: GitHubAdapterOptions) {
    const [owner, name, ...extra] = options.repo.split('/');
    if (!owner || !name || extra.length) {
      throw new Error(`GitHub repository must be "owner/name", got "${options.repo}"`);
    }
    this.owner = owner;
    this.name = name;
    this.creator = options.creator;
    // @octokit/rest bundles no retry or throttling plugin: our job queue retries with backoff,
    // told how long to wait by TrackerError.retryAfterMs.
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: (options.baseUrl ?? GITHUB_API_URL).replace(/\/+$/, ''),
      userAgent: 'repro-triage',
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: (message: string) => this.logger.warn(message),
        // Failures are thrown as TrackerErrors and logged by whoever handles them.
        error: () => undefined,
      },
    });
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  get repo(): string {
    return `${this.owner}/${this.name}`;
  }

  /**
   * The issue this report created: from the pending-create record if it has the number, else
   * by the marker through search, else (search lags) by listing the token's recent issues. An
   * issue counts only when the marker is where Repro writes it (the body's first line) and the
   * issue was opened by the token's own account: someone else's issue, or customer text quoting
   * a marker, is never adopted.
   */
  async findByReport(_project: Project, reportId: string): Promise<TrackerIssue | null> {
    const pending = await this.options.pending.find(reportId, this.repo);
    if (pending?.number != null) {
      return this.toIssue(
        await this.call('get issue', (request) => this.getIssue(pending.number!, request)),
      );
    }
    const marker = reportMarker(reportId);
    const found =
      (await this.searchByMarker(marker)) ??
      (pending ? await this.listCreatedSince(marker, pending.startedAt) : null);
    if (!found) return null;
    if (pending) await this.options.pending.done(reportId, this.repo, found.number);
    return this.toIssue(found);
  }

  /**
   * Creates the issue, recording the intent first and the number after, so that a crash in
   * between leaves enough behind for findByReport to find the issue instead of making another.
   */
  async createIssue(
    project: Project,
    draft: TicketDraft,
    context: GitHubCreateContext = {},
  ): Promise<TrackerIssue> {
    const earlier = await this.options.pending.find(draft.reportId, this.repo);
    if (earlier) {
      const existing = await this.findByReport(project, draft.reportId);
      if (existing) return existing;
    }
    await this.options.pending.begin(draft.reportId, this.repo);
    const issue = await this.postIssue(draft, context);
    await this.options.pending.done(draft.reportId, this.repo, issue.number);
    return this.toIssue(issue);
  }

  /** Only the `POST /repos/{owner}/{repo}/issues`; createIssue wraps it with the record. */
  async postIssue(draft: TicketDraft, context: GitHubCreateContext = {}): Promise<GitHubIssue> {
    const { data } = await this.call('create issue', (request) =>
      this.octokit.rest.issues.create({
        owner: this.owner,
        repo: this.name,
        title: draft.title,
        body: withMarker(draft.body, draft.reportId),
        labels: this.labelsFor(draft, context),
        assignees: this.options.assignees?.length ? this.options.assignees : undefined,
        request,
      }),
    );
    return data;
  }

  /** Adds a comment (a duplicate report, say); returns the comment's URL. */
  async comment(issueNumber: number, body: string): Promise<{ url: string }> {
    const { data } = await this.call('comment on issue', (request) =>
      this.octokit.rest.issues.createComment({
        owner: this.owner,
        repo: this.name,
        issue_number: issueNumber,
        body,
        request,
      }),
    );
    return { url: data.html_url };
  }

  /**
   * TrackerAdapter: a comment carrying a hidden marker for `idempotencyKey`; posted only when no
   * comment on the issue carries it yet, so a retry after a crash never comments twice.
   */
  async addComment(issue: TrackerIssue, body: string, idempotencyKey: string): Promise<void> {
    const number = this.numberFromKey(issue.key);
    if (number === null)
      throw new TrackerError('NOT_FOUND', `Not a GitHub issue key: ${issue.key}`);
    const marker = commentMarker(idempotencyKey);
    const existing = await this.call('list comments', (request) =>
      this.octokit.paginate(this.octokit.rest.issues.listComments, {
        owner: this.owner,
        repo: this.name,
        issue_number: number,
        per_page: 100,
        request,
      }),
    );
    for (const c of existing) {
      if (isOwnMarker(c.body, marker) && (await this.byToken(c.user))) return;
    }
    await this.comment(number, `${marker}\n\n${body}`);
  }

  /**
   * TrackerAdapter: swaps the issue's `priority: …` label for `level`'s, unless it already has
   * that or a higher one (someone may have raised it by hand: it is never lowered). Adding
   * first and removing after, a retry after a crash in between finishes the swap.
   */
  async setPriority(issue: TrackerIssue, level: PriorityLevel): Promise<boolean> {
    const number = this.numberFromKey(issue.key);
    if (number === null)
      throw new TrackerError('NOT_FOUND', `Not a GitHub issue key: ${issue.key}`);
    const current = await this.call('list labels', (request) =>
      this.octokit.paginate(this.octokit.rest.issues.listLabelsOnIssue, {
        owner: this.owner,
        repo: this.name,
        issue_number: number,
        per_page: 100,
        request,
      }),
    );
    const priorities = current
      .map((l) => ({ name: l.name, level: priorityOfLabel(l.name) }))
      .filter((l): l is { name: string; level: PriorityLevel } => l.level !== null);
    if (priorities.some((p) => priorityRank(p.level) < priorityRank(level))) return false;
    let changed = false;
    if (!priorities.some((p) => p.level === level)) {
      await this.call('add label', (request) =>
        this.octokit.rest.issues.addLabels({
          owner: this.owner,
          repo: this.name,
          issue_number: number,
          labels: [priorityLabel(level)],
          request,
        }),
      );
      changed = true;
    }
    for (const lower of priorities.filter((p) => p.level !== level)) {
      await this.call('remove label', (request) =>
        this.octokit.rest.issues.removeLabel({
          owner: this.owner,
          repo: this.name,
          issue_number: number,
          name: lower.name,
          request,
        }),
      );
      changed = true;
    }
    return changed;
  }

  /** The issue number from a key this adapter made (`owner/name#12`), or null. */
  numberFromKey(key: string): number | null {
    const match = key.match(/^(.+)#(\d+)$/);
    return match && match[1].toLowerCase() === this.repo.toLowerCase() ? Number(match[2]) : null;
  }

  labelsFor(draft: TicketDraft, context: GitHubCreateContext = {}): string[] {
    const accountName = (context.accountName ?? draft.accountName)?.trim();
    const account = accountName ? `account:${accountName}`.slice(0, LABEL_MAX) : null;
    const labels = [
      ...(this.options.labels ?? ['bug']),
      ...draft.labels,
      this.options.reproLabel ?? 'repro',
      account,
      draft.priority ? priorityLabel(draft.priority.level) : null,
    ];
    // GitHub treats label names case-insensitively.
    const seen = new Set<string>();
    return labels.filter((l): l is string => {
      if (!l || seen.has(l.toLowerCase())) return false;
      seen.add(l.toLowerCase());
      return true;
    });
  }

  /**
   * One page of the repository's issues (pull requests left out), least recently updated
   * first, for the open-issue mirror. The cursor is `<updated_at of the page's last issue>|1`:
   * restarting from a time rather than a page number means an issue updated mid-sync (which
   * moves to the end) cannot shift an unread one back onto a page already read. Only when a
   * whole page shares one updated_at does the page number advance instead.
   */
  async listIssuesPage(request: MirrorPageRequest): Promise<MirrorPage> {
    const [sinceText, pageText] = request.cursor ? request.cursor.split('|') : [];
    const since = sinceText ?? request.updatedSince?.toISOString();
    const page = pageText ? Number(pageText) : 1;
    if (!Number.isInteger(page) || page < 1 || (since && Number.isNaN(Date.parse(since)))) {
      throw new Error(`GitHub mirror cursor is not "<time>|<page>": "${request.cursor}"`);
    }
    const { data, headers } = await this.call('list issues', (req) =>
      this.octokit.rest.issues.listForRepo({
        owner: this.owner,
        repo: this.name,
        state: 'all',
        sort: 'updated',
        direction: 'asc',
        since,
        per_page: Math.min(request.pageSize, 100),
        page,
        request: req,
      }),
    );
    const hasNext = /rel="next"/.test(headers.link ?? '');
    const lastUpdated = data.at(-1)?.updated_at;
    let nextCursor: string | null = null;
    if (hasNext && lastUpdated) {
      nextCursor =
        since && Date.parse(lastUpdated) <= Date.parse(since)
          ? `${since}|${page + 1}`
          : `${new Date(lastUpdated).toISOString()}|1`;
    }
    return {
      issues: data
        .filter((i) => !i.pull_request)
        .map((i) => ({
          externalId: i.node_id,
          key: `${this.repo}#${i.number}`,
          url: i.html_url,
          title: i.title,
          body: i.body ?? '',
          state: i.state,
          open: i.state === 'open',
          labels: i.labels
            .map((l) => (typeof l === 'string' ? l : l.name))
            .filter((n): n is string => !!n),
          remoteUpdatedAt: new Date(i.updated_at),
        })),
      nextCursor,
    };
  }

  private async getIssue(
    issueNumber: number,
    request: { signal: AbortSignal },
  ): Promise<GitHubIssue> {
    const { data } = await this.octokit.rest.issues.get({
      owner: this.owner,
      repo: this.name,
      issue_number: issueNumber,
      request,
    });
    return data;
  }

  private async searchByMarker(marker: string): Promise<GitHubIssue | null> {
    const phrase = marker.replace(/^<!--\s*|\s*-->$/g, '');
    const q = `"${phrase}" in:body repo:${this.repo} type:issue`;
    const { data } = await this.call('search issues', (request) =>
      this.octokit.rest.search.issuesAndPullRequests({ q, per_page: 10, request }),
    );
    // Search matches words loosely; only the exact marker where Repro puts it counts.
    const hits = (data.items as GitHubIssue[])
      .filter((i) => !i.pull_request && isOwnMarker(i.body, marker))
      .sort((a, b) => a.number - b.number);
    // The oldest of the token's own wins.
    for (const hit of hits) if (await this.byToken(hit.user)) return hit;
    return null;
  }

  /** Whether `user` is the account the token acts as (the one Repro files and comments as). */
  private async byToken(user: { login: string } | null | undefined): Promise<boolean> {
    if (!user?.login) return false;
    return user.login.toLowerCase() === (await this.tokenLogin()).toLowerCase();
  }

  /** Issues the token created since the pending create began, newest first, without search. */
  private async listCreatedSince(marker: string, startedAt: Date): Promise<GitHubIssue | null> {
    const creator = await this.tokenLogin();
    const since = new Date(startedAt.getTime() - CLOCK_SKEW_MS).toISOString();
    return this.call('list issues', async (request) => {
      // `since` filters on updated_at, which is never before created_at: nothing is missed.
      const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listForRepo, {
        owner: this.owner,
        repo: this.name,
        creator,
        since,
        state: 'all',
        sort: 'created',
        direction: 'asc',
        per_page: 100,
        request,
      });
      for await (const page of pages) {
        // Listed by creator already: only the marker's place is left to check.
        const hit = page.data.find((i) => !i.pull_request && isOwnMarker(i.body, marker));
        if (hit) return hit;
      }
      return null;
    });
  }

  private async tokenLogin(): Promise<string> {
    if (!this.creator) {
      const { data } = await this.call('read token user', (request) =>
        this.octokit.rest.users.getAuthenticated({ request }),
      );
      this.creator = data.login;
    }
    return this.creator;
  }

  /**
   * Runs one GitHub call under a deadline and turns its failure into a TrackerError. The
   * signal goes in each call's `request` option: before-after-hook gives every `request` hook
   * the caller's options, so a hook cannot add one.
   */
  private async call<T>(
    doing: string,
    fn: (request: { signal: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`no answer within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    try {
      return await fn({ signal: deadline.signal });
    } catch (error) {
      throw toTrackerError(error, doing);
    } finally {
      clearTimeout(timer);
    }
  }

  private toIssue(issue: GitHubIssue): TrackerIssue {
    return {
      // node_id is unique across repositories and survives renames; the number is in the key.
      externalId: issue.node_id,
      key: `${this.repo}#${issue.number}`,
      url: issue.html_url,
      title: issue.title,
      state: issue.state,
    };
  }
}

/** The hidden marker on a comment Repro posted once for `idempotencyKey`: its first line. */
function commentMarker(idempotencyKey: string): string {
  return `<!-- repro:comment=${idempotencyKey} -->`;
}

/** The body with the marker as its first line, shortened to what GitHub accepts if need be. */
function withMarker(body: string, reportId: string): string {
  const marker = reportMarker(reportId);
  const trimmed = body.trim();
  const text = trimmed.startsWith(marker) ? trimmed.slice(marker.length).trim() : trimmed;
  const room = BODY_MAX - marker.length - 40;
  const kept = text.length > room ? `${text.slice(0, room)}\n\n…(shortened for GitHub)` : text;
  return `${marker}\n\n${kept}\n`;
}

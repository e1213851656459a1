import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import DataLoader from 'dataloader';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError, ErrorCode, NotFoundError, ValidationFailedError } from '../../common/errors';
import { AccountsService } from '../accounts/accounts.service';
import { openQuestion } from '../conversation/conversation';
import { ConversationService } from '../conversation/conversation.service';
import { newReporterToken } from '../conversation/reporter-token';
import { DedupeService } from '../dedupe/dedupe.service';
import { PipelineService } from '../pipeline/pipeline.service';
import type { Project } from '../projects/entities/project.entity';
import { type RecordingFindings, RecordingsService } from '../recordings/recordings.service';
import type { Report, ReportSource } from '../reports/entities/report.entity';
import { ReportsService } from '../reports/reports.service';
import { SentryMatchingService } from '../sentry/sentry-matching.service';
import { TicketsService } from '../trackers/tickets.service';
import type { FactPicture, TicketProposal } from '../triage/engine/triage.types';
import type { HumanDecision } from '../triage/entities/report-triage.entity';
import { TriageService } from '../triage/triage.service';
import { type CreateReportDto, reporterIdentityProblem } from './dto/create-report.dto';
import type { ListReportsQuery } from './dto/report-list.dto';
import {
  countReportsByStatus,
  listReports,
  needsPersonReasons,
  type ReportFilters,
} from '../reports/report-list';
import { REPORT_STATUSES } from '../reports/report-state-machine';
import type { MessageView } from '../conversation/conversation.service';
import {
  decodeListCursor,
  encodeListCursor,
  listExcerpt,
  listTitle,
  parseStatuses,
} from './report-list';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What makes two requests the same for their Idempotency-Key: the body, whatever its key order. */
function requestHashOf(dto: CreateReportDto): string {
  return sha256(canonicalJson(dto) ?? '');
}

export interface IntakeResult {
  report: Report;
  /** True when an earlier request with the same Idempotency-Key created it. */
  replayed: boolean;
  /**
   * The reporter's token for the conversation (`/v1/reports/:id/messages`). Only its hash is
   * stored, so an idempotent replay issues a new one and the earlier one stops working.
   */
  reporterToken: string;
}

/** One report of the inbox (GET /v1/reports). */
export interface ReportListItem {
  id: string;
  status: string;
  source: string;
  title: string;
  excerpt: string;
  reporter: { name: string | null; email: string | null } | null;
  account: { id: string; name: string | null; tier: string | null } | null;
  createdAt: string;
  ticket: { key: string; url: string; relation: string } | null;
  needsPerson: boolean;
  reasons: string[];
}

export interface ReportList {
  items: ReportListItem[];
  nextCursor: string | null;
  counts: Record<string, number>;
}

export interface ReportView {
  id: string;
  status: string;
  source: string;
  createdAt: string;
  updatedAt: string;
  /** The reporter's own words, as they wrote them (the web app shows them as text). */
  description: string;
  /** Every message so far (the agent's, the reporter's and staff's), oldest first. */
  conversation: MessageView[];
  ticket: { key: string; url: string; relation: string } | null;
  /** The ticket's priority now, and why (duplicates may have raised it since); null without one. */
  priority: { level: string; reasons: string[] } | null;
  /**
   * Set when the ticket this report created is urgent (filed so, or raised so by duplicates
   * since) and no person approved the report: it reached engineers at once, and the people
   * reviewing the agent look here (the audit log has `urgent_filed` / `urgent_raised`).
   */
  urgentFiled: { ticketKey: string; reasons: string[] } | null;
  /** The analysed recording's steps, errors and failed requests (the first 100 of each). */
  analysis: RecordingFindings | null;
  /** null when the report came without a recording. */
  recording: {
    status: string;
    /** Why the recording was refused (the report itself was kept). */
    reason: string | null;
    events: number;
    durationMs: number;
    analyzed: boolean;
  } | null;
  /**
   * The Sentry issue behind the report and the other candidates considered; null when Sentry
   * is not configured or matching has not run yet.
   */
  sentry: {
    status: string;
    issue: {
      id: string;
      shortId: string;
      title: string;
      permalink: string;
      score: number;
      reasons: string[];
    } | null;
    candidates: {
      issueId: string;
      shortId: string | null;
      title: string | null;
      score: number;
      reasons: string[];
    }[];
    problem: string | null;
  } | null;
  /** The duplicate decision and the candidates weighed, best first; null before dedupe ran. */
  dedupe: {
    decision: string;
    score: number | null;
    candidates: {
      kind: 'issue' | 'report';
      key: string | null;
      title: string;
      url: string | null;
      score: number;
      reasons: string[];
    }[];
  } | null;
  /** The agent's questions the reporter has not answered yet (empty when none are open). */
  questions: string[];
  /**
   * The replay at the moment of failure, for the web app to embed: a signed link good for 15
   * minutes from this answer; null without a kept, analysed recording.
   */
  replay: { url: string } | null;
  /**
   * For a report made from an email: who it is from, the staff member who forwarded it and
   * their note (staff context, not the customer's words), its attachments and the failed
   * requests of its .har files. Null for other reports.
   */
  email: Record<string, unknown> | null;
  /** What the triage agent knows and proposes; null before it ran. */
  triage: {
    engine: string;
    facts: FactPicture;
    proposal: TicketProposal | null;
    decision: string | null;
    confidence: number | null;
    fallbackReason: string | null;
    questionsAsked: number;
    humanDecision: HumanDecision | null;
  } | null;
}

class IdempotentReplay extends Error {}

/**
 * What another way in (email) stores with a report, beyond the body of POST /v1/reports: more
 * `client` context for the ticket, and its own rows written in the report's transaction, so the
 * report and what it came from commit together or not at all.
 */
export interface ArrivalExtras {
  client?: Record<string, unknown>;
  stored?: (manager: EntityManager, report: Report) => Promise<void>;
}

/** A report on its way into the database, with what it is stored with. */
interface Arrival {
  project: Project;
  dto: CreateReportDto;
  source: ReportSource;
  idempotencyKey: string | null;
  requestHash: string | null;
  reporterTokenHash: string;
  extras: ArrivalExtras | null;
}

/**
 * Reports arriving together are stored together, one transaction for several (a group commit):
 * a batch is sent as soon as fewer than this many are being stored, so a lone report waits for
 * nothing, and under load the reports that came meanwhile share the next transaction.
 */
const BATCHES_IN_FLIGHT = 3;
const MAX_BATCH = 64;

@Injectable()
/** The reports API: a report's arrival (stored whole, then queued) and its view. */
export class IntakeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly accounts: AccountsService,
    private readonly recordings: RecordingsService,
    private readonly pipeline: PipelineService,
    private readonly tickets: TicketsService,
    private readonly sentry: SentryMatchingService,
    private readonly conversation: ConversationService,
    private readonly reports: ReportsService,
    private readonly dedupe: DedupeService,
    private readonly triage: TriageService,
  ) {}

  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly arrivals = new DataLoader<Arrival, Report | null>(
    (batch) => this.storeBatch(batch),
    {
      cache: false,
      maxBatchSize: MAX_BATCH,
      batchScheduleFn: (dispatch) => {
        if (this.inFlight < BATCHES_IN_FLIGHT) {
          this.inFlight += 1;
          setImmediate(dispatch);
        } else {
          this.waiting.push(dispatch);
        }
      },
    },
  );

  /**
   * Stores a report with its reporter, account and recording in one transaction, then queues
   * it. The report is committed before anything is queued; if queueing fails, the reconciler
   * queues it later.
   */
  async create(
    project: Project,
    dto: CreateReportDto,
    source: ReportSource,
    idempotencyKey?: string,
    extras?: ArrivalExtras,
  ): Promise<IntakeResult> {
    const identity = reporterIdentityProblem(dto.reporter);
    if (identity) throw new ValidationFailedError([{ field: 'reporter', message: identity }]);
    if (dto.events?.length && dto.sessionId) {
      throw new ValidationFailedError([
        {
          field: 'sessionId',
          message: 'send a recording inline (events) or by session id, not both',
        },
      ]);
    }
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ValidationFailedError([
        { field: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters' },
      ]);
    }
    // Only a request with a key can be replayed, so only then is its body hashed.
    const requestHash = idempotencyKey ? requestHashOf(dto) : null;

    if (idempotencyKey && requestHash) {
      const earlier = await this.findByIdempotencyKey(project.id, idempotencyKey, dto, requestHash);
      if (earlier) return this.replay(earlier);
    }

    const { token, hash } = newReporterToken();
    const report = await this.arrivals.load({
      project,
      dto,
      source,
      idempotencyKey: idempotencyKey ?? null,
      requestHash,
      reporterTokenHash: hash,
      extras: extras ?? null,
    });
    if (!report) {
      // A concurrent request with the same key committed first; ours was rolled back whole.
      const earlier =
        idempotencyKey && requestHash
          ? await this.findByIdempotencyKey(project.id, idempotencyKey, dto, requestHash)
          : null;
      if (!earlier) throw new IdempotentReplay('A report with this key was stored and is gone');
      return this.replay(earlier);
    }

    await this.pipeline.accepted(report.id);
    return { report, replayed: false, reporterToken: token };
  }

  /** The same report again, with a fresh reporter token (the first is known only by its hash). */
  private async replay(report: Report): Promise<IntakeResult> {
    const { token, hash } = newReporterToken();
    await this.reports.setReporterTokenHash(report.id, hash);
    await this.pipeline.retried(report);
    return { report, replayed: true, reporterToken: token };
  }

  async view(projectId: string, reportId: string): Promise<ReportView> {
    const report = await this.reports.findInProject(projectId, reportId);
    if (!report) throw new NotFoundError('Report');
    const ticket = await this.tickets.forReport(report.id);
    const recording = await this.recordings.summary(report.id);
    const findings = recording?.analyzed ? await this.recordings.findings(report.id) : null;
    const sentry = await this.sentry.find(report.id);
    const dedupe = await this.dedupe.result(report.id);
    // The conversation before the triage record: the agent's record commits before its
    // questions, so questions read here always come with the record that asked them.
    const messages =
      report.status === 'clarifying' ? await this.conversation.messages(report.id) : [];
    const triage = await this.triage.record(report.id);
    const open =
      report.status === 'clarifying'
        ? openQuestion(messages, triage?.clarifyClosedAt ?? null)
        : null;
    return {
      id: report.id,
      status: report.status,
      source: report.source,
      createdAt: report.createdAt.toISOString(),
      updatedAt: report.updatedAt.toISOString(),
      description: report.description,
      conversation: (await this.conversation.view(report.id, triage?.clarifyClosedAt ?? null))
        .messages,
      ticket: ticket ? { key: ticket.key, url: ticket.url, relation: ticket.relation } : null,
      priority: ticket?.priority ?? null,
      urgentFiled:
        ticket?.relation === 'created' &&
        ticket.priority?.level === 'urgent' &&
        !triage?.humanDecision?.action.startsWith('approve')
          ? { ticketKey: ticket.key, reasons: ticket.priority.reasons }
          : null,
      recording: recording
        ? {
            status: recording.status,
            reason: recording.refusedReason,
            events: recording.eventCount,
            durationMs: recording.durationMs,
            analyzed: recording.analyzed,
          }
        : null,
      analysis: findings,
      sentry: sentry
        ? {
            status: sentry.status,
            issue: sentry.issue
              ? {
                  id: sentry.issue.id,
                  shortId: sentry.issue.shortId,
                  title: sentry.issue.title,
                  permalink: sentry.issue.permalink,
                  score: sentry.issue.score,
                  reasons: sentry.issue.reasons,
                }
              : null,
            candidates: sentry.candidates.map((c) => ({
              issueId: c.issueId,
              shortId: c.shortId,
              title: c.title,
              score: c.score,
              reasons: c.reasons,
            })),
            problem: sentry.problem,
          }
        : null,
      dedupe: dedupe
        ? {
            decision: dedupe.decision,
            score: dedupe.score,
            candidates: dedupe.candidates.map((c) => ({
              kind: c.kind,
              key: c.key,
              title: c.title,
              url: c.url,
              score: c.score,
              reasons: c.reasons,
            })),
          }
        : null,
      questions: open ? open.questions.map((q) => q.text) : [],
      replay: await this.pipeline.replayForPerson(report.id),
      email: emailOf(report),
      triage: triage
        ? {
            engine: triage.engine,
            facts: triage.facts,
            proposal: triage.proposal,
            decision: triage.decision?.kind ?? null,
            confidence: triage.confidence,
            fallbackReason: triage.fallbackReason,
            questionsAsked: triage.questionsAsked,
            humanDecision: triage.humanDecision,
          }
        : null,
    };
  }

  /**
   * The inbox: the project's reports matching the filters, those waiting for a person first,
   * then the rest, each group newest first, a page at a time; with counts per status over the
   * same filters but the status one.
   */
  async list(projectId: string, query: ListReportsQuery): Promise<ReportList> {
    const filters: ReportFilters = {
      projectId,
      statuses: parseStatuses(query.status),
      accountId: query.account,
      tier: query.tier?.trim() || undefined,
      source: query.source,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      q: query.q?.trim() || undefined,
    };
    const after = query.cursor ? decodeListCursor(query.cursor) : null;
    const limit = query.limit ?? 50;
    // One more than the page tells whether another page follows.
    const rows = await listReports(this.db, filters, limit + 1, after);
    const page = rows.slice(0, limit);
    const ids = page.map((r) => r.id);
    const waiting = page.filter((r) => r.status === 'needs_human').map((r) => r.id);
    const [counts, tickets, reasons, proposals] = await Promise.all([
      countReportsByStatus(this.db, filters),
      this.tickets.forReports(ids),
      needsPersonReasons(this.db, waiting),
      // The proposed titles, a primary-key read each, side by side.
      Promise.all(page.map(async (r) => (await this.triage.record(r.id))?.proposal?.title)),
    ]);
    return {
      items: page.map((r, n) => {
        const ticket = tickets.get(r.id);
        const reason = reasons.get(r.id);
        return {
          id: r.id,
          status: r.status,
          source: r.source,
          title: listTitle(r.description, proposals[n] ?? ticket?.title),
          excerpt: listExcerpt(r.description),
          reporter: r.reporter,
          account: r.account,
          createdAt: r.createdAt.toISOString(),
          ticket: ticket ? { key: ticket.key, url: ticket.url, relation: ticket.relation } : null,
          needsPerson: r.status === 'needs_human',
          reasons: r.status === 'needs_human' && reason ? [reason] : [],
        };
      }),
      nextCursor:
        rows.length > limit && page.length
          ? encodeListCursor(page[page.length - 1].position)
          : null,
      counts: Object.fromEntries(REPORT_STATUSES.map((s) => [s, counts.get(s) ?? 0])),
    };
  }

  /** Support staff write to the reporter of a report of this project. */
  async staffMessage(projectId: string, reportId: string, body: string): Promise<MessageView> {
    const report = await this.reports.findInProject(projectId, reportId);
    if (!report) throw new NotFoundError('Report');
    return this.conversation.staffMessage(report.id, body);
  }

  /**
   * Stores a batch of reports in one transaction; null for a report whose idempotency key was
   * taken. When the transaction fails, each report is stored on its own, so one report's
   * problem (a refused recording, a lost lock race) is its own and no other's.
   */
  private async storeBatch(batch: readonly Arrival[]): Promise<(Report | null | Error)[]> {
    try {
      if (batch.length === 1) return [await this.storeOne(batch[0])];
      return await this.db.transaction(async (manager) => {
        const stored = new Map<Arrival, Report | null>();
        // Reports without a key cannot collide: a statement each for all their accounts,
        // reporters and reports.
        const free = batch.filter((arrival) => arrival.idempotencyKey === null);
        if (free.length) {
          const reports = await this.insertMany(manager, free);
          free.forEach((arrival, n) => stored.set(arrival, reports[n]));
        }
        for (const arrival of batch.filter((a) => a.idempotencyKey !== null)) {
          // A report whose key is taken is undone alone, with its account and reporter.
          await manager.query('SAVEPOINT arrival');
          const report = await this.insert(manager, arrival);
          if (!report) await manager.query('ROLLBACK TO SAVEPOINT arrival');
          stored.set(arrival, report);
        }
        return batch.map((arrival) => stored.get(arrival) ?? null);
      });
    } catch (error) {
      if (batch.length === 1) return [asError(error)];
      return Promise.all(batch.map((arrival) => this.storeOne(arrival).catch(asError)));
    } finally {
      const next = this.waiting.shift();
      if (next) setImmediate(next);
      else this.inFlight -= 1;
    }
  }

  private async storeOne(arrival: Arrival): Promise<Report | null> {
    try {
      return await this.db.transaction(async (manager) => {
        const report = await this.insert(manager, arrival);
        if (!report) throw new IdempotentReplay();
        return report;
      });
    } catch (error) {
      if (error instanceof IdempotentReplay) return null;
      throw error;
    }
  }

  private async insertMany(manager: EntityManager, arrivals: Arrival[]): Promise<Report[]> {
    const withAccount = arrivals.filter((a) => a.dto.account);
    const accountIds = await this.accounts.upsertAccounts(
      manager,
      withAccount.map(({ project, dto }) => ({
        projectId: project.id,
        input: dto.account!,
        reporterEmail: dto.reporter?.email,
      })),
    );
    const accountOf = new Map(withAccount.map((a, n) => [a, accountIds[n]]));
    const withReporter = arrivals.filter((a) => a.dto.reporter);
    const reporterIds = await this.accounts.upsertReporters(
      manager,
      withReporter.map((a) => ({
        projectId: a.project.id,
        input: a.dto.reporter!,
        accountId: accountOf.get(a) ?? null,
      })),
    );
    const reporterOf = new Map(withReporter.map((a, n) => [a, reporterIds[n]]));
    const reports = await this.reports.createMany(
      manager,
      arrivals.map((a) => this.newReport(a, accountOf.get(a) ?? null, reporterOf.get(a) ?? null)),
    );
    for (const [n, { project, dto, extras }] of arrivals.entries()) {
      await this.attachRecording(manager, project, dto, reports[n].id);
      await extras?.stored?.(manager, reports[n]);
    }
    return reports;
  }

  private newReport(
    { project, dto, source, idempotencyKey, requestHash, reporterTokenHash, extras }: Arrival,
    accountId: string | null,
    reporterId: string | null,
  ) {
    return {
      values: {
        projectId: project.id,
        source,
        description: dto.description,
        pageUrl: dto.page?.url ?? null,
        pageTitle: dto.page?.title ?? null,
        userAgent: dto.client?.userAgent ?? null,
        client: {
          viewport: dto.client?.viewport ? { ...dto.client.viewport } : undefined,
          locale: dto.client?.locale,
          timezone: dto.client?.timezone,
          ...extras?.client,
        },
        sentry: { ...dto.sentry },
        reporterId,
        accountId,
        idempotencyKey,
        requestHash,
        reporterTokenHash,
      },
      arrival: {
        reason: `Received from ${source}`,
        details: { events: dto.events?.length ?? 0, idempotencyKey: idempotencyKey !== null },
      },
    };
  }

  private async attachRecording(
    manager: EntityManager,
    project: Project,
    dto: CreateReportDto,
    reportId: string,
  ): Promise<void> {
    if (dto.events?.length) {
      await this.recordings.storeInline(manager, project.id, reportId, dto.events);
    } else if (dto.sessionId) {
      await this.recordings.linkSession(manager, project.id, reportId, dto.sessionId);
    }
  }

  /** Null, having stored the report's account and reporter, when its idempotency key is taken. */
  private async insert(manager: EntityManager, arrival: Arrival): Promise<Report | null> {
    const { project, dto } = arrival;
    const account = dto.account
      ? await this.accounts.upsertAccount(manager, project.id, dto.account, dto.reporter?.email)
      : null;
    const reporter = dto.reporter
      ? await this.accounts.upsertReporter(manager, project.id, dto.reporter, account?.id ?? null)
      : null;
    const { values, arrival: audit } = this.newReport(
      arrival,
      account?.id ?? null,
      reporter?.id ?? null,
    );
    const report = await this.reports.create(manager, values, audit);
    if (!report) return null;
    await this.attachRecording(manager, project, dto, report.id);
    await arrival.extras?.stored?.(manager, report);
    return report;
  }

  private async findByIdempotencyKey(
    projectId: string,
    idempotencyKey: string,
    dto: CreateReportDto,
    requestHash: string,
  ): Promise<Report | null> {
    const earlier = await this.reports.findByIdempotencyKey(projectId, idempotencyKey);
    // Reports stored before the hash was taken over canonical JSON have the hash of the body as
    // it came (key order included).
    const same = (hash: string | null) =>
      hash === requestHash || hash === sha256(JSON.stringify(dto));
    if (earlier && !same(earlier.requestHash)) {
      throw new DomainError(
        422,
        ErrorCode.IdempotencyKeyReused,
        'This Idempotency-Key was already used with a different request body.',
        { field: 'Idempotency-Key' },
      );
    }
    return earlier;
  }
}

/** The email evidence a report made from a mail carries in its `client` (see EmailService). */
function emailOf(report: Report): Record<string, unknown> | null {
  const email = (report.client as { email?: unknown }).email;
  return report.source === 'email' && typeof email === 'object' && email !== null
    ? (email as Record<string, unknown>)
    : null;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

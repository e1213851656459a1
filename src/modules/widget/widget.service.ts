import { Injectable } from '@nestjs/common';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { ConversationService, type MessageView } from '../conversation/conversation.service';
import type { Project } from '../projects/entities/project.entity';
import { ProjectsService } from '../projects/projects.service';
import type { ReportStatus } from '../reports/report-state-machine';
import { TicketsService } from '../trackers/tickets.service';
import { TriageService } from '../triage/triage.service';
import { ExpiringCache } from '../../common/expiring-cache';

/** What `generateWidgetKey` makes; anything else is refused without a lookup. */
const WIDGET_KEY = /^pk_[A-Za-z0-9_-]{10,64}$/;

/** Statuses at which engineering has the report (a ticket of its own or an existing one). */
const FILED: readonly ReportStatus[] = ['filed', 'duplicate', 'resolved', 'closed'];

/** What the widget shows a reporter about their report. */
export interface WidgetReportView {
  id: string;
  status: string;
  awaitingReply: boolean;
  messages: MessageView[];
  filed: boolean;
  /** Only when the project lets the widget show it. */
  ticket: { key: string; url: string } | null;
}

@Injectable()
export class WidgetService {
  /** Projects (or null for unknown keys) by widget key, for API_KEY_CACHE_MS. */
  private readonly byKey: ExpiringCache<string, Project | null>;

  constructor(
    private readonly projects: ProjectsService,
    private readonly conversation: ConversationService,
    private readonly triage: TriageService,
    private readonly tickets: TicketsService,
    @InjectConfig() config: AppConfig,
  ) {
    this.byKey = new ExpiringCache(config.API_KEY_CACHE_MS);
  }

  /**
   * The project of this widget key, or null. Remembered for API_KEY_CACHE_MS, so a change of
   * allowed origins is honoured within that time.
   */
  async projectByKey(key: string): Promise<Project | null> {
    if (!WIDGET_KEY.test(key)) return null;
    const cached = this.byKey.get(key);
    if (cached !== undefined) return cached;
    const project = await this.projects.findByWidgetKey(key);
    this.byKey.set(key, project);
    return project;
  }

  /** The report as its reporter sees it in the widget: where it stands and the conversation. */
  async view(project: Project, reportId: string): Promise<WidgetReportView> {
    const closedAt = (await this.triage.record(reportId))?.clarifyClosedAt ?? null;
    const conversation = await this.conversation.view(reportId, closedAt);
    const ticket = project.widgetShowTicketKey ? await this.tickets.forReport(reportId) : null;
    return {
      id: reportId,
      status: conversation.status,
      awaitingReply: conversation.awaitingReply,
      messages: conversation.messages,
      filed: FILED.includes(conversation.status as ReportStatus),
      ticket: ticket ? { key: ticket.key, url: ticket.url } : null,
    };
  }
}

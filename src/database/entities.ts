import { AgentStep } from '../modules/triage/entities/agent-step.entity';
import { ReportMessage } from '../modules/conversation/entities/report-message.entity';
import { ReportTriage } from '../modules/triage/entities/report-triage.entity';
import { Account } from '../modules/accounts/entities/account.entity';
import { Reporter } from '../modules/accounts/entities/reporter.entity';
import { Report } from '../modules/reports/entities/report.entity';
import { PipelineEvent } from '../modules/reports/entities/pipeline-event.entity';
import { ApiKey } from '../modules/projects/entities/api-key.entity';
import { Project } from '../modules/projects/entities/project.entity';
import { RecordingChunk } from '../modules/recordings/entities/recording-chunk.entity';
import { RecordingSession } from '../modules/recordings/entities/recording-session.entity';
import { Recording } from '../modules/recordings/entities/recording.entity';
import { DedupeEmbedding } from '../modules/dedupe/entities/embedding.entity';
import { DedupeResult } from '../modules/dedupe/entities/dedupe-result.entity';
import { ReportSignal } from '../modules/dedupe/entities/report-signal.entity';
import { CorpusStat, TermStat } from '../modules/dedupe/entities/term-stat.entity';
import { SentryMatch } from '../modules/sentry/entities/sentry-match.entity';
import { AppSecret } from '../modules/replay/entities/app-secret.entity';
import { BuiltinIssue } from '../modules/trackers/builtin/builtin-issue.entity';
import { PendingCreateRow } from '../modules/trackers/github/pending-create.entity';
import { ReportTicket } from '../modules/trackers/entities/report-ticket.entity';
import { Ticket } from '../modules/trackers/entities/ticket.entity';
import { TicketAccount } from '../modules/trackers/entities/ticket-account.entity';
import { BuiltinComment } from '../modules/trackers/builtin/builtin-comment.entity';
import { TrackerIssueRow } from '../modules/trackers/entities/tracker-issue.entity';
import { TrackerSyncState } from '../modules/trackers/mirror/tracker-sync-state.entity';
import { WebhookDelivery } from '../modules/webhooks/entities/webhook-delivery.entity';

export const ENTITIES = [
  Project,
  ApiKey,
  Account,
  Reporter,
  Report,
  Recording,
  RecordingSession,
  RecordingChunk,
  Ticket,
  TicketAccount,
  BuiltinComment,
  TrackerIssueRow,
  TrackerSyncState,
  ReportTicket,
  BuiltinIssue,
  PendingCreateRow,
  PipelineEvent,
  AppSecret,
  WebhookDelivery,
  SentryMatch,
  ReportSignal,
  DedupeResult,
  TermStat,
  CorpusStat,
  DedupeEmbedding,
  ReportTriage,
  ReportMessage,
  AgentStep,
];

import type { ReportMessage } from './entities/report-message.entity';

/** The agent's last message when nothing has answered it yet. */
export function unansweredQuestion(messages: ReportMessage[]): ReportMessage | null {
  const last = messages[messages.length - 1];
  return last?.author === 'agent' ? last : null;
}

/** The question still waiting for an answer: the last unanswered one, unless the wait timed out. */
export function openQuestion(
  messages: ReportMessage[],
  clarifyClosedAt: Date | null,
): ReportMessage | null {
  return clarifyClosedAt ? null : unansweredQuestion(messages);
}

import type { ConversationTurn, Question } from '../triage/engine/triage.types';
import type { ReportMessage } from './entities/report-message.entity';

/**
 * The conversation as the agent reads it: each agent message with the reporter's replies that
 * followed it. Replies sent before any question form a turn with no questions.
 */
export function conversationTurns(messages: ReportMessage[]): ConversationTurn[] {
  const turns: ConversationTurn[] = [];
  for (const message of messages) {
    if (message.author === 'agent') {
      turns.push({
        questions: message.questions.map((q: Question) => q.text),
        keys: message.questions.map((q: Question) => q.key),
        answer: null,
        askedAt: message.createdAt.toISOString(),
        answeredAt: null,
      });
      continue;
    }
    let turn = turns[turns.length - 1];
    if (!turn) {
      turn = {
        questions: [],
        keys: [],
        answer: null,
        askedAt: message.createdAt.toISOString(),
        answeredAt: null,
      };
      turns.push(turn);
    }
    turn.answer = turn.answer ? `${turn.answer}\n\n${message.body}` : message.body;
    turn.answeredAt ??= message.createdAt.toISOString();
  }
  return turns;
}

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

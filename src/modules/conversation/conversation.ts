import type { MessageAuthor, ReportMessage } from './entities/report-message.entity';

/** A message of the agent's conversation with the reporter (staff messages are not). */
export type AgentConversationMessage = ReportMessage & { author: Exclude<MessageAuthor, 'staff'> };

/** The agent's conversation: its questions and the reporter's answers, without staff's messages. */
export function agentConversation(messages: ReportMessage[]): AgentConversationMessage[] {
  return messages.filter((m): m is AgentConversationMessage => m.author !== 'staff');
}

/** The agent's last message when nothing has answered it yet (staff's messages answer nothing). */
export function unansweredQuestion(messages: ReportMessage[]): ReportMessage | null {
  const last = agentConversation(messages).at(-1);
  return last?.author === 'agent' ? last : null;
}

/** The question still waiting for an answer: the last unanswered one, unless the wait timed out. */
export function openQuestion(
  messages: ReportMessage[],
  clarifyClosedAt: Date | null,
): ReportMessage | null {
  return clarifyClosedAt ? null : unansweredQuestion(messages);
}

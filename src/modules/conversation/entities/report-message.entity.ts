import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A question as the conversation stores it: the triage agent's fact key and the words asked. */
export interface StoredQuestion {
  key: string;
  text: string;
}

// staff: support staff writing to the reporter (POST /v1/reports/:id/staff-messages); not a
// turn of the agent's conversation, so the agent and its clarify wait never read them.
export const MESSAGE_AUTHORS = ['agent', 'reporter', 'staff'] as const;
export type MessageAuthor = (typeof MESSAGE_AUTHORS)[number];

/** One message of the conversation with the reporter: the agent's, the reporter's or staff's. */
@Entity('report_messages')
@Index('report_messages_by_report', ['reportId', 'createdAt'])
export class ReportMessage {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  reportId!: string;

  @Column({ type: 'enum', enum: MESSAGE_AUTHORS, enumName: 'message_author' })
  author!: MessageAuthor;

  @Column({ type: 'text' })
  body!: string;

  /** For the agent's messages: the questions in it, each with the fact it is about. */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  questions!: StoredQuestion[];

  /** How it arrived or left: api, widget, email. */
  @Column({ type: 'text' })
  channel!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

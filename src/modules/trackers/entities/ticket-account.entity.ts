import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Which customer accounts have reported a ticket's bug: the first report of each account is
 * the one that comments on the ticket, so an account is announced once however often it reports.
 */
@Entity('ticket_accounts')
export class TicketAccount {
  @PrimaryColumn({ type: 'uuid' })
  ticketId!: string;

  /** The account's id, or `reporter:<id>` / `anonymous` for reports without an account. */
  @PrimaryColumn({ type: 'text' })
  accountKey!: string;

  /** The report that brought the account to this ticket. */
  @Column({ type: 'uuid' })
  reportId!: string;

  /** Set once the tracker has the comment; a retry finding it null comments (idempotently). */
  @Column({ type: 'timestamptz', nullable: true })
  announcedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

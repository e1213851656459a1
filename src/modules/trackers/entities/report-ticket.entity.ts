import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { Report } from '../../reports/entities/report.entity';
import { Ticket } from './ticket.entity';

export const TICKET_RELATIONS = ['created', 'duplicate'] as const;
export type TicketRelation = (typeof TICKET_RELATIONS)[number];

/** Which ticket a report ended up in: the one it created, or the one it duplicates. */
@Entity('report_tickets')
export class ReportTicket {
  /** A report belongs to one ticket at most. */
  @PrimaryColumn({ type: 'uuid' })
  reportId!: string;

  @ManyToOne(() => Report, { onDelete: 'CASCADE' })
  @JoinColumn()
  report?: Relation<Report>;

  @Index()
  @Column({ type: 'uuid' })
  ticketId!: string;

  @ManyToOne(() => Ticket, { onDelete: 'CASCADE' })
  @JoinColumn()
  ticket?: Relation<Ticket>;

  @Column({ type: 'enum', enum: TICKET_RELATIONS, enumName: 'ticket_relation' })
  relation!: TicketRelation;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

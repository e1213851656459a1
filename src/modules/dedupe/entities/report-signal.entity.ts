import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const SIGNAL_KINDS = [
  'sentry_issue',
  'error_fingerprint',
  'route',
  'failing_request',
  'clicked_element',
] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/**
 * What a report's evidence says, as exact-match keys stored at analysis time so dedupe can ask
 * "which other reports share this?" with one index lookup.
 */
@Entity('report_signals')
@Index('report_signals_lookup', ['projectId', 'kind', 'value'])
export class ReportSignal {
  @PrimaryColumn({ type: 'uuid' })
  reportId!: string;

  @PrimaryColumn({ type: 'enum', enum: SIGNAL_KINDS, enumName: 'report_signal_kind' })
  kind!: SignalKind;

  @PrimaryColumn({ type: 'text' })
  value!: string;

  @Column({ type: 'uuid' })
  projectId!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

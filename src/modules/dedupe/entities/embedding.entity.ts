import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Cached embeddings for semantic re-ranking, per issue (or report) and model; recomputed only
 * when the text they were made from changes.
 */
@Entity('dedupe_embeddings')
export class DedupeEmbedding {
  /** 'issue' (tracker_issues.id) or 'report' (reports.id). */
  @PrimaryColumn({ type: 'text' })
  kind!: 'issue' | 'report';

  @PrimaryColumn({ type: 'uuid' })
  refId!: string;

  @PrimaryColumn({ type: 'text' })
  model!: string;

  /** SHA-256 of the embedded text. */
  @Column({ type: 'text' })
  textHash!: string;

  @Column({ type: 'real', array: true })
  vector!: number[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * How many open issues of a project contain each stemmed word, refreshed in the background:
 * dedupe weighs a shared rare word ("rebase") far above a shared common one ("error").
 */
@Entity('dedupe_term_stats')
export class TermStat {
  @PrimaryColumn({ type: 'uuid' })
  projectId!: string;

  @PrimaryColumn({ type: 'text' })
  lexeme!: string;

  @Column({ type: 'integer' })
  docs!: number;
}

/** The size of the corpus the term counts were taken over. */
@Entity('dedupe_corpus_stats')
export class CorpusStat {
  @PrimaryColumn({ type: 'uuid' })
  projectId!: string;

  @Column({ type: 'integer' })
  docs!: number;

  @Column({ type: 'timestamptz' })
  refreshedAt!: Date;
}

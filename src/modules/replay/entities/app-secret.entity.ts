import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Secrets Repro makes for itself, shared by every API and worker process through PostgreSQL so
 * that none needs configuring (e.g. the key that signs replay links). Written once, never changed.
 */
@Entity('app_secrets')
export class AppSecret {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  value!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

import { MigrationInterface, QueryRunner } from 'typeorm';

export class DedupeEmbeddings1795501128781 implements MigrationInterface {
  name = 'DedupeEmbeddings1795501128781';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "dedupe_embeddings" ("kind" text NOT NULL, "ref_id" uuid NOT NULL, "model" text NOT NULL, "text_hash" text NOT NULL, "vector" real array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5ee8b52428b154beea68b96f814" PRIMARY KEY ("kind", "ref_id", "model"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "dedupe_embeddings"`);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { OPENAI_CLIENT } from '../../integrations/openai/openai.module';
import type { OpenAiClient } from '../../integrations/openai/openai.client';
import type { CandidateFeatures } from './dedupe-scorer';
import { DedupeEmbedding } from './entities/embedding.entity';

/** Candidates re-ranked by meaning: the lexical top few, where order matters. */
export const SEMANTIC_TOP = 10;
/** Enough of a text for its meaning; keeps each embedding request small. */
const TEXT_CHARS = 2_000;
/** Of an issue, the title and the start of the body: the description, not the metadata below it. */
const ISSUE_BODY_CHARS = 600;
const EMAIL = /[^\s@<>()"']+@[^\s@<>()"']+\.[a-z]{2,}/gi;

type Ref = { kind: 'issue' | 'report'; id: string; text: string };

/**
 * Optional semantic re-ranking: with OPENAI_API_KEY set, the top lexical candidates get the
 * cosine similarity of their embedding to the report's. Embeddings are cached per issue and
 * model, and made again only when the text changes.
 */
@Injectable()
export class SemanticReranker {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(OPENAI_CLIENT) private readonly client: OpenAiClient | null,
  ) {}

  get enabled(): boolean {
    return this.client !== null;
  }

  /** Sets `semantic` on each candidate given; throws when the embeddings service fails. */
  async annotate(query: Ref, candidates: CandidateFeatures[]): Promise<void> {
    if (!this.client || !candidates.length) return;
    const refs = [query, ...(await this.texts(candidates))];
    const vectors = await this.vectors(refs);
    const mine = vectors.get(key(query));
    if (!mine) return;
    for (const c of candidates) {
      const theirs = vectors.get(`${c.kind}:${c.id}`);
      if (theirs) c.semantic = Math.round(cosine(mine, theirs) * 1000) / 1000;
    }
  }

  private async texts(candidates: CandidateFeatures[]): Promise<Ref[]> {
    const issueIds = candidates.filter((c) => c.kind === 'issue').map((c) => c.id);
    const reportIds = candidates.filter((c) => c.kind === 'report').map((c) => c.id);
    const issues = issueIds.length
      ? await this.db.query<{ id: string; text: string }[]>(
          `SELECT id, title || E'\\n' || left(body, ${ISSUE_BODY_CHARS}) AS text FROM tracker_issues WHERE id = ANY($1::uuid[])`,
          [issueIds],
        )
      : [];
    const reports = reportIds.length
      ? await this.db.query<{ id: string; text: string }[]>(
          `SELECT id, left(description, ${TEXT_CHARS}) AS text FROM reports WHERE id = ANY($1::uuid[])`,
          [reportIds],
        )
      : [];
    return [
      ...issues.map((r) => ({ kind: 'issue' as const, id: r.id, text: r.text })),
      ...reports.map((r) => ({ kind: 'report' as const, id: r.id, text: r.text })),
    ];
  }

  /** Cached vectors where the text is unchanged; one request for the rest. */
  private async vectors(refs: Ref[]): Promise<Map<string, number[]>> {
    const model = this.config.OPENAI_EMBEDDING_MODEL;
    const repo = this.db.getRepository(DedupeEmbedding);
    const cached = await repo.findBy({ refId: In(refs.map((r) => r.id)), model });
    const byKey = new Map(cached.map((e) => [`${e.kind}:${e.refId}`, e]));
    const result = new Map<string, number[]>();
    const missing: (Ref & { hash: string })[] = [];
    for (const ref of refs) {
      // Addresses mean nothing to a bug's meaning, and need not leave the building.
      ref.text = ref.text.replace(EMAIL, '[email]').slice(0, TEXT_CHARS);
      const hash = createHash('sha256').update(ref.text.slice(0, TEXT_CHARS)).digest('hex');
      const hit = byKey.get(key(ref));
      if (hit && hit.textHash === hash) result.set(key(ref), hit.vector);
      else missing.push({ ...ref, hash });
    }
    if (missing.length) {
      const fresh = await this.client!.embed(
        model,
        missing.map((m) => m.text.slice(0, TEXT_CHARS)),
      );
      await repo.upsert(
        missing.map((m, i) => ({
          kind: m.kind,
          refId: m.id,
          model,
          textHash: m.hash,
          vector: fresh[i],
        })),
        ['kind', 'refId', 'model'],
      );
      missing.forEach((m, i) => result.set(key(m), fresh[i]));
    }
    return result;
  }
}

function key(ref: { kind: string; id: string }): string {
  return `${ref.kind}:${ref.id}`;
}

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

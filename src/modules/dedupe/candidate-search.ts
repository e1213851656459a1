import type { SignalKind } from './entities/report-signal.entity';
import { IDENTIFIER_SQL_PATTERN } from './identifiers';
import { parseSignalKey, signalKey } from './report-signals';
import type { CandidateFeatures, QueryTerm, TermMatch } from './dedupe-scorer';

/** Anything that runs SQL: a TypeORM DataSource or EntityManager, or a wrapped pg client. */
export interface Queryable {
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
}

/** What a report or issue says, as dedupe queries with it. */
export interface DedupeQuery {
  title: string;
  body: string;
  signals: { kind: SignalKind; value: string; label?: string }[];
}

export interface SearchOptions {
  /** An issue never matches itself (evaluation: a distractor queried against the pool). */
  excludeIssueId?: string;
}

/** How many words of a report go into the query. */
const MAX_TERMS = 12;
/** The AND query uses the title's most telling words. */
const AND_TERMS = 3;
/**
 * Rows each full-text query may rank, and how many open issues the rarest words searched may
 * have between them: bounds the cost in a large tracker.
 */
const RANKED_CAP = 150;
/** A word in more open issues than this is not searched alone: a capped few would be a sample. */
const RARE_ALONE_DOCS = 20 * RANKED_CAP;
/** Words in more than this share of open issues tell nothing apart. */
const MAX_DOC_SHARE = 0.3;
/** Only the start of a long body counts (as in the search column). */
const BODY_CHARS = 6000;
/** Up to this many open issues, titles are also searched by trigrams. */
const TITLE_RETRIEVAL_LIMIT = 20_000;
/** Up to this many open issues, words are counted live when the background counts are missing. */
const LIVE_COUNT_LIMIT = 20_000;
/**
 * When the deciding report arrived, as PostgreSQL stored it (microseconds): the JavaScript Date
 * passed along has only milliseconds, which would hide a report that arrived just before it in
 * the same millisecond.
 */
const OF_CREATED_AT =
  'coalesce((SELECT o.created_at FROM reports o WHERE o.id = $5::uuid), $8::timestamptz)';
const IN_FLIGHT = ['received', 'analyzing', 'clarifying', 'deduping', 'filing', 'needs_human'];
/**
 * A report (`r`) that decided to become a ticket is listed while in flight or filed (its ticket
 * is open): the report's own words, not the ticket's, found even when its ticket reached the
 * mirror after the issues were read.
 */
const DECIDED_LISTABLE = `(r.status::text = ANY($6::text[]) OR r.status = 'filed')`;
/** An undecided report (`r`) is listed while in flight, if it arrived before `of` in the window. */
const PENDING_LISTABLE = `r.status::text = ANY($6::text[])
  AND (r.created_at, r.id) < (${OF_CREATED_AT}, $5::uuid)
  AND r.created_at > now() - make_interval(secs => $9)`;
/** A title compared without its ids (`identifiers.ts`): the query's title comes without them. */
const titleOf = (column: string) =>
  `lower(regexp_replace(${column}, '${IDENTIFIER_SQL_PATTERN.replace(/'/g, "''")}', ' ', 'gi'))`;

/**
 * Retrieves duplicate candidates from PostgreSQL: full text over the open-issue mirror (the
 * title's telling words ANDed over titles, the report's rarest words ORed over titles and bodies,
 * each ranked by all its telling words, English stemming), trigram similarity of titles (pg_trgm), and exact
 * structured signals shared with earlier reports. Unqualified table names, so an evaluation can
 * point it at a scratch schema through `search_path`.
 */
export class CandidateSearch {
  constructor(
    private readonly db: Queryable,
    /** Open issues per project, as `terms()` last saw them. */
    private readonly corpusSize = new Map<string, number>(),
  ) {}

  /** This search, with what `terms()` saw, over another connection (a transaction). */
  on(db: Queryable): CandidateSearch {
    return new CandidateSearch(db, this.corpusSize);
  }

  /** The report's telling words, weighted by how rare they are among the project's open issues. */
  async terms(projectId: string, title: string, body: string): Promise<QueryTerm[]> {
    const rows = await this.db.query<
      {
        lexeme: string;
        in_title: boolean;
        tf: number;
        docs: number | null;
        corpus: number | null;
      }[]
    >(
      `WITH q AS (
         SELECT lexeme, bool_or(src = 't') AS in_title, sum(cardinality(positions))::int AS tf
         FROM (
           SELECT 't' AS src, lexeme, positions FROM unnest(to_tsvector('english', $2))
           UNION ALL
           SELECT 'b', lexeme, positions FROM unnest(to_tsvector('english', left($3, ${BODY_CHARS})))
         ) words
         WHERE length(lexeme) > 1 AND lexeme !~ '^[0-9._-]+$'
         GROUP BY lexeme
       )
       SELECT q.lexeme, q.in_title, q.tf, s.docs,
              (SELECT docs FROM dedupe_corpus_stats WHERE project_id = $1) AS corpus
       FROM q LEFT JOIN dedupe_term_stats s ON s.project_id = $1 AND s.lexeme = q.lexeme`,
      [projectId, title, body],
    );
    let corpus = rows[0]?.corpus ?? 0;
    if (rows.length && rows[0].corpus === null) {
      // No counts yet (a new project, before the background recount): count live when small.
      const live = await this.liveCounts(
        projectId,
        rows.map((r) => r.lexeme),
      );
      if (live) {
        corpus = live.corpus;
        rows.forEach((r, i) => (r.docs = live.docs[i] > 0 ? live.docs[i] : null));
      } else {
        corpus = Number.POSITIVE_INFINITY;
      }
    }
    this.corpusSize.set(projectId, corpus);
    const weigh = <T extends { lexeme: string; idf: number; inTitle: boolean; tf: number }>(
      terms: T[],
    ) =>
      terms
        .map((t) => ({ ...t, weight: t.idf * (t.inTitle ? 2 : 1) * (1 + Math.log(t.tf)) }))
        .sort((a, b) => b.weight - a.weight || a.lexeme.localeCompare(b.lexeme))
        .slice(0, MAX_TERMS)
        .map(({ lexeme, idf, inTitle }) => ({ lexeme, idf, inTitle }));
    const seen = weigh(
      rows
        .filter(
          (r) => corpus === 0 || (r.docs !== null && r.docs <= Math.max(1, corpus * MAX_DOC_SHARE)),
        )
        .map((r) => ({
          lexeme: r.lexeme,
          inTitle: r.in_title,
          idf: corpus === 0 ? 1 : Math.log(1 + (corpus - r.docs! + 0.5) / (r.docs! + 0.5)),
          tf: r.tf,
        })),
    );
    // Words no open issue has (as far as the counts know): no issue can match them, but a
    // report in flight can, so they count for reports, as telling as the most telling other.
    const idf = Math.max(1, ...seen.map((t) => t.idf));
    const unseen = weigh(
      rows
        .filter((r) => corpus !== 0 && r.docs === null)
        .map((r) => ({ lexeme: r.lexeme, inTitle: r.in_title, idf, tf: r.tf })),
    ).map((t) => ({ ...t, unseen: true }));
    return [...seen, ...unseen];
  }

  /**
   * Document counts of the given words among a project's open issues, counted now; null when
   * the project is too large for that (its background counts will come).
   */
  private async liveCounts(
    projectId: string,
    lexemes: string[],
  ): Promise<{ corpus: number; docs: number[] } | null> {
    const [{ open }] = await this.db.query<{ open: number }[]>(
      `SELECT count(*)::int AS open FROM (
         SELECT 1 FROM tracker_issues WHERE project_id = $1 AND open LIMIT ${LIVE_COUNT_LIMIT + 1}) s`,
      [projectId],
    );
    if (open === 0 || open > LIVE_COUNT_LIMIT) return null;
    const [{ docs }] = await this.db.query<{ docs: number[] }[]>(
      `SELECT ARRAY(
         SELECT (SELECT count(*) FROM tracker_issues
                 WHERE project_id = $1 AND open AND search @@ l.lexeme::tsquery)::int
         FROM unnest($2::text[]) WITH ORDINALITY AS l(lexeme, n) ORDER BY l.n) AS docs`,
      [projectId, lexemes.map(lit)],
    );
    return { corpus: open, docs };
  }

  /** Open issues that may be the same bug, with what the scorer needs. */
  async issues(
    projectId: string,
    query: DedupeQuery,
    terms: QueryTerm[],
    options: SearchOptions = {},
  ): Promise<CandidateFeatures[]> {
    // Words no open issue has retrieve nothing.
    const seen = terms.filter((t) => !t.unseen);
    const titleTerms = seen.filter((t) => t.inTitle).sort((a, b) => b.idf - a.idf);
    const corpus = this.corpusSize.get(projectId) ?? 0;
    const rare = rarest(seen, corpus, RANKED_CAP);
    const title = query.title.toLowerCase().slice(0, 300);
    const signalKeys = query.signals.map(signalKey);

    // Only the paths this query uses are sent: fewer CTEs, less planning.
    const params: unknown[] = [projectId, title];
    const param = (value: unknown) => `$${params.push(value)}`;
    const paths: string[] = [];
    if (titleTerms.length >= 2) {
      // The title's most telling words, all in a candidate's title, nearest titles first: titles
      // are short and stored inline, so even a scan the planner prefers for common words is cheap.
      const and = param(
        titleTerms
          .slice(0, AND_TERMS)
          .map((t) => lit(t.lexeme))
          .join(' & '),
      );
      paths.push(`by_and AS (
         SELECT id FROM (
           SELECT id, title FROM tracker_issues
           WHERE project_id = $1 AND open AND title_search @@ ${and}::tsquery
           LIMIT ${RANKED_CAP}) m
         ORDER BY similarity(lower(m.title), $2) DESC LIMIT 30)`);
    }
    if (rare.length) {
      // The report's rarest words, as many as together fit the cap: every issue having one is
      // ranked by all the words, found through the GIN index, the same rows every time (the
      // common words match a large share of the tracker, of which a capped scan would rank
      // whichever rows it met first).
      const anyRare = param(rare.map((t) => lit(t.lexeme)).join(' | '));
      const anyTerm = param(seen.map((t) => lit(t.lexeme)).join(' | '));
      paths.push(`by_rare AS (
         SELECT id FROM (
           SELECT id, search FROM tracker_issues
           WHERE project_id = $1 AND open AND search @@ ${anyRare}::tsquery
           LIMIT ${RANKED_CAP}) m
         ORDER BY ts_rank(m.search, ${anyTerm}::tsquery) DESC LIMIT 60)`);
    }
    // A trigram search's index scan grows with the table (a common phrase matches a third of a
    // million titles): it retrieves only in trackers small enough; title similarity is still
    // computed for every candidate the other paths find.
    if (corpus <= TITLE_RETRIEVAL_LIMIT)
      paths.push(`by_title AS (
         SELECT id FROM tracker_issues
         WHERE project_id = $1 AND open AND lower(title) % $2
         ORDER BY similarity(lower(title), $2) DESC LIMIT 20)`);
    if (signalKeys.length)
      paths.push(`by_signal AS (
         SELECT ti.id FROM report_signals rs
         JOIN report_tickets rt ON rt.report_id = rs.report_id
         JOIN tickets t ON t.id = rt.ticket_id
         JOIN tracker_issues ti
           ON ti.project_id = t.project_id AND ti.provider::text = t.provider::text AND ti.external_id = t.external_id
         WHERE rs.project_id = $1
           AND ${signalIn(param(signalKeys))}
           AND ti.open
         -- The strongest evidence first, then the most recent: a page many tickets share must
         -- not crowd out the one ticket with the same Sentry issue.
         ORDER BY CASE rs.kind WHEN 'sentry_issue' THEN 0 WHEN 'error_fingerprint' THEN 1
                  WHEN 'failing_request' THEN 2 WHEN 'clicked_element' THEN 3 ELSE 4 END,
                  rs.created_at DESC
         LIMIT 50)`);
    if (!paths.length) return [];
    const found = paths.map((p) => `SELECT id FROM ${p.slice(0, p.indexOf(' '))}`).join(' UNION ');
    const lexemes = param(terms.map((t) => lit(t.lexeme)));
    const exclude = options.excludeIssueId
      ? `WHERE ti.id <> ${param(options.excludeIssueId)}::uuid`
      : '';

    const rows = await this.db.query<
      {
        id: string;
        key: string;
        title: string;
        url: string;
        title_sim: number;
        matches: number[];
      }[]
    >(
      `WITH
       ${paths.join(',\n       ')},
       found AS (${found})
       SELECT ti.id, ti.key, ti.title, ti.url, similarity(${titleOf('ti.title')}, $2) AS title_sim,
         ARRAY(
           SELECT CASE WHEN ti.title_search @@ q.lexeme THEN 2 WHEN v.search @@ q.lexeme THEN 1 ELSE 0 END
           FROM unnest(${lexemes}::tsquery[]) WITH ORDINALITY AS q(lexeme, n)
           ORDER BY q.n) AS matches
       FROM found JOIN tracker_issues ti ON ti.id = found.id
         -- The search vector is read (detoasted) once per row, then tested once per term.
         CROSS JOIN LATERAL (SELECT ts_filter(ti.search, '{a,b,c,d}') AS search OFFSET 0) v
       ${exclude}`,
      params,
    );
    const signals = await this.issueSignals(
      projectId,
      query,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({
      kind: 'issue' as const,
      id: r.id,
      key: r.key,
      title: r.title,
      url: r.url,
      titleSimilarity: Number(r.title_sim),
      termMatches: r.matches as TermMatch[],
      sharedSignals: signals.get(r.id)?.shared ?? [],
      signalKinds: signals.get(r.id)?.kinds ?? [],
    }));
  }

  /**
   * Reports still in the pipeline that may be the same bug (filed ones are found as issues):
   * those that decided to become a new ticket, whenever they arrived, and those that arrived
   * before `of` less than `pendingWithinMs` ago and have not decided yet (`pending`). Reports
   * that decided to follow another report or ticket are not candidates: their target is.
   *
   * With `recheck`, only the given reports (an earlier search's, their decisions read again) and
   * those that decided to become a ticket after `recheck.since` (a `decisionMark()`) are listed:
   * the earlier search and this one together list what one search now would, at a fraction of
   * the cost, so the project's turn runs only this one.
   */
  async reports(
    projectId: string,
    query: DedupeQuery,
    terms: QueryTerm[],
    of: { id: string; createdAt: Date },
    pendingWithinMs: number,
    recheck?: { ids: string[]; since: string },
  ): Promise<CandidateFeatures[]> {
    const orQuery = terms.length ? terms.map((t) => lit(t.lexeme)).join(' | ') : null;
    const signalKeys = query.signals.map(signalKey);
    const title = query.title.toLowerCase().slice(0, 300);
    const listed = recheck
      ? `listed AS (
         SELECT r.id, d.report_id IS NULL AS pending
         FROM (SELECT unnest($10::uuid[]) AS id
               UNION
               SELECT report_id FROM dedupe_results
               WHERE project_id = $1 AND decided_seq > $11::bigint AND decision = 'new') c
         -- Each by its key: a few dozen rows, however many the project has.
         CROSS JOIN LATERAL (SELECT * FROM reports r WHERE r.id = c.id OFFSET 0) r
         LEFT JOIN dedupe_results d ON d.report_id = r.id
         WHERE r.project_id = $1 AND r.id <> $5::uuid
           AND ((d.decision = 'new' AND ${DECIDED_LISTABLE})
                OR (d.report_id IS NULL AND ${PENDING_LISTABLE})))`
      : `listed AS (
         -- The latest decisions to become a ticket, newest first through their index: as many
         -- rows read as listed, however many reports the project has.
         (SELECT r.id, false AS pending FROM dedupe_results d
          JOIN reports r ON r.id = d.report_id
          WHERE d.project_id = $1 AND d.decision = 'new' AND d.report_id <> $5::uuid
            AND r.created_at > now() - interval '14 days'
            AND ${DECIDED_LISTABLE}
          ORDER BY d.decided_seq DESC LIMIT 500)
         UNION ALL
         -- The oldest first: they decide first.
         (SELECT r.id, true FROM reports r
          WHERE r.project_id = $1 AND ${PENDING_LISTABLE}
            AND NOT EXISTS (SELECT 1 FROM dedupe_results d WHERE d.report_id = r.id)
          ORDER BY r.created_at LIMIT 200))`;
    const rows = await this.db.query<
      {
        id: string;
        title: string;
        title_sim: number;
        matches: number[];
        pending: boolean;
        issue_id: string | null;
        signals: string[] | null;
      }[]
    >(
      `WITH ${listed},
       inflight AS MATERIALIZED (
         SELECT r.id, l.pending, split_part(r.description, E'\\n', 1) AS title,
           -- Stored by a trigger since migration ReportSearch; computed for reports from before.
           coalesce(r.search,
             setweight(to_tsvector('english', split_part(r.description, E'\\n', 1)), 'A') ||
             setweight(to_tsvector('english', left(r.description, ${BODY_CHARS})), 'B')) AS search,
           -- The same trigger keeps the title as compared (since migration ReportTitleKey).
           similarity(coalesce(r.title_key, ${titleOf(`split_part(r.description, E'\\n', 1)`)}), $4)
             AS title_sim
         FROM listed l JOIN reports r ON r.id = l.id)
       SELECT i.id, i.title, i.pending, i.title_sim,
         (SELECT ti.id FROM report_tickets rt
            JOIN tickets t ON t.id = rt.ticket_id
            JOIN tracker_issues ti ON ti.project_id = t.project_id
              AND ti.provider::text = t.provider::text AND ti.external_id = t.external_id
          WHERE rt.report_id = i.id LIMIT 1) AS issue_id,
         (SELECT array_agg(rs.kind::text || chr(31) || rs.value) FROM report_signals rs
          WHERE rs.report_id = i.id) AS signals,
         ARRAY(
           SELECT CASE WHEN i.search @@ (q.lexeme || ':A')::tsquery THEN 2
                       WHEN i.search @@ q.lexeme::tsquery THEN 1 ELSE 0 END
           FROM unnest($7::text[]) WITH ORDINALITY AS q(lexeme, n) ORDER BY q.n) AS matches
       FROM inflight i
       -- A shared signal, looked up by each listed report's key (a join against every report
       -- that has the signal grows with the project: a page all reports share).
       WHERE (cardinality($3::text[]) > 0 AND EXISTS (
                SELECT 1 FROM report_signals rs WHERE rs.report_id = i.id AND ${signalIn('$3')}))
          OR ($2::text IS NOT NULL AND i.search @@ $2::tsquery)
          -- What \`%\` would say (pg_trgm's threshold; unset until pg_trgm loads: its default).
          OR i.title_sim >= coalesce(current_setting('pg_trgm.similarity_threshold', true), '0.3')::real
       -- Those that decided first, then the closest: many reports of one bug may be in flight.
       ORDER BY i.pending, i.title_sim DESC
       LIMIT 50`,
      [
        projectId,
        orQuery,
        signalKeys,
        title,
        of.id,
        IN_FLIGHT,
        terms.map((t) => lit(t.lexeme)),
        of.createdAt,
        pendingWithinMs / 1000,
        ...(recheck ? [recheck.ids, recheck.since] : []),
      ],
    );
    const own = rows.flatMap((r) =>
      (r.signals ?? []).map((key) => ({ id: r.id, ...parseSignalKey(key) })),
    );
    const signals = collectSignals(query, own);
    return rows.map((r) => ({
      kind: 'report' as const,
      id: r.id,
      key: null,
      title: r.title,
      url: null,
      titleSimilarity: Number(r.title_sim),
      termMatches: r.matches as TermMatch[],
      sharedSignals: signals.get(r.id)?.shared ?? [],
      signalKinds: signals.get(r.id)?.kinds ?? [],
      pending: r.pending,
      issueId: r.issue_id,
    }));
  }

  /**
   * Where the project's decisions to become a ticket stand: every one recorded after this call
   * has a greater number (`reports(…, { since })` lists those). They are numbered in the
   * project's turn, one at a time, so one committed later never has a smaller number.
   */
  async decisionMark(projectId: string): Promise<string> {
    const [{ mark }] = await this.db.query<{ mark: string }[]>(
      `SELECT coalesce(max(decided_seq), 0)::text AS mark FROM dedupe_results
       WHERE project_id = $1 AND decision = 'new'`,
      [projectId],
    );
    return mark;
  }

  /** Plain PostgreSQL full-text ranking over title and body: the baseline the evaluation compares. */
  async baseline(projectId: string, text: string, excludeIssueId?: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }[]>(
      `WITH q AS (
         SELECT NULLIF(replace(plainto_tsquery('english', $2)::text, ' & ', ' | '), '')::tsquery AS q)
       SELECT ti.id FROM tracker_issues ti, q
       WHERE q.q IS NOT NULL AND ti.project_id = $1 AND ti.open
         AND to_tsvector('english', ti.title || ' ' || ti.body) @@ q.q
         AND ($3::uuid IS NULL OR ti.id <> $3::uuid)
       ORDER BY ts_rank(to_tsvector('english', ti.title || ' ' || ti.body), q.q) DESC, length(ti.key), ti.key
       LIMIT 10`,
      [projectId, text, excludeIssueId ?? null],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Per candidate issue: the report's signals it shares, and which kinds of telling signal it
   * has at all (an error, a failing request, a Sentry issue), so the scorer can see evidence
   * that disagrees.
   */
  private async issueSignals(
    projectId: string,
    query: DedupeQuery,
    issueIds: string[],
  ): Promise<Map<string, { shared: DedupeQuery['signals']; kinds: SignalKind[] }>> {
    const result = new Map<string, { shared: DedupeQuery['signals']; kinds: SignalKind[] }>();
    if (!query.signals.length || !issueIds.length) return result;
    const rows = await this.db.query<{ issue_id: string; kind: SignalKind; value: string }[]>(
      `SELECT DISTINCT ti.id AS issue_id, rs.kind::text AS kind, rs.value
       FROM tracker_issues ti
       JOIN tickets t ON t.project_id = ti.project_id AND t.provider::text = ti.provider::text
                     AND t.external_id = ti.external_id
       JOIN report_tickets rt ON rt.ticket_id = t.id
       JOIN report_signals rs ON rs.report_id = rt.report_id
       WHERE ti.id = ANY($2::uuid[]) AND rs.project_id = $1
         AND (rs.kind::text = ANY($4::text[]) OR ${signalIn('$3')})`,
      [projectId, issueIds, query.signals.map(signalKey), [...TELLING_KINDS]],
    );
    return collectSignals(
      query,
      rows.map((r) => ({ id: r.issue_id, kind: r.kind, value: r.value })),
    );
  }
}

/**
 * SQL: the report signal `rs` is one of the keys in the text[] parameter `param` (made by
 * `signalKey`), as (kind, value) pairs so the (project_id, kind, value) index serves it.
 */
function signalIn(param: string): string {
  return `(rs.kind, rs.value) IN (
    SELECT split_part(k, chr(31), 1)::report_signal_kind, substr(k, strpos(k, chr(31)) + 1)
    FROM unnest(${param}::text[]) AS k)`;
}

/** Kinds of signal that, present on both sides but different, say "another bug". */
const TELLING_KINDS: readonly SignalKind[] = [
  'sentry_issue',
  'error_fingerprint',
  'failing_request',
];

/** Per candidate: the query's signals it shares, and the telling kinds it has at all. */
function collectSignals(
  query: DedupeQuery,
  rows: { id: string; kind: SignalKind; value: string }[],
): Map<string, { shared: DedupeQuery['signals']; kinds: SignalKind[] }> {
  const labels = new Map(query.signals.map((s) => [signalKey(s), s]));
  const result = new Map<string, { shared: DedupeQuery['signals']; kinds: SignalKind[] }>();
  for (const row of rows) {
    const entry = result.get(row.id) ?? { shared: [], kinds: [] };
    result.set(row.id, entry);
    const signal = labels.get(signalKey(row));
    if (signal && !entry.shared.includes(signal)) entry.shared.push(signal);
    if (TELLING_KINDS.includes(row.kind) && !entry.kinds.includes(row.kind))
      entry.kinds.push(row.kind);
  }
  return result;
}

/**
 * The rarest terms, rarest first, as many as have at most `budget` open issues between them
 * (estimated from each term's idf and the corpus size); when even the rarest has more, it alone,
 * unless it is common enough that a capped few of its issues would be an arbitrary sample.
 */
function rarest(terms: QueryTerm[], corpus: number, budget: number): QueryTerm[] {
  const out: QueryTerm[] = [];
  let total = 0;
  for (const t of [...terms].sort((a, b) => b.idf - a.idf)) {
    const docs = estimatedDocs(t.idf, corpus);
    if (out.length ? total + docs > budget : docs > RARE_ALONE_DOCS) break;
    total += docs;
    out.push(t);
  }
  return out;
}

/** Inverts the idf of `terms()`: how many of the corpus's open issues have the word. */
function estimatedDocs(idf: number, corpus: number): number {
  if (!Number.isFinite(corpus) || !Number.isFinite(idf)) return Number.POSITIVE_INFINITY;
  if (corpus === 0) return 0;
  const e = Math.exp(idf) - 1;
  return Math.max(0, (corpus + 0.5 - 0.5 * e) / (e + 1));
}

/** A lexeme as a tsquery literal: quoted, so punctuation in it is not query syntax. */
function lit(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

#!/usr/bin/env node
/**
 * Table ownership, checked by `npm run boundaries` after dependency-cruiser.
 *
 * dependency-cruiser sees imports, so it stops a module from importing another module's entity,
 * but raw SQL names tables in strings. This script finds who owns each table (the module whose
 * `src/modules/<module>/**\/*.entity.ts` declares `@Entity('table')`) and reports every raw SQL
 * reference to a table of another module, in the modules' non-test TypeScript:
 *
 * - writes: INSERT INTO, UPDATE, DELETE FROM, TRUNCATE, MERGE INTO <table>;
 * - reads: FROM <table> (and the tables after it, comma-separated), JOIN <table>;
 * - TypeORM query builders given a table name: .from('t'), .innerJoin('t', ...), .into('t'), ...
 *
 * Only string and template literals are read (comments and prose never count), and SQL keywords
 * must be upper case, as everywhere in this code base. Usage: node scripts/check-table-owners.mjs
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const MODULES = join(ROOT, 'src', 'modules');

/**
 * Read-only exceptions, decided one by one: these files may READ these tables of other modules.
 * A write is never an exception. Remove an entry when the code no longer needs it (the script
 * says when an entry is unused).
 */
const READ_EXCEPTIONS = [
  {
    // Duplicate retrieval is one tuned query over the tracker mirror, the filed tickets and the
    // reports, measured as a whole by the dedupe benchmark (npm run bench:dedupe); split across
    // services it would no longer be the query that was measured.
    files: [
      'src/modules/dedupe/candidate-search.ts',
      'src/modules/dedupe/term-stats.ts',
      'src/modules/dedupe/dedupe-stats.service.ts',
      'src/modules/dedupe/semantic-reranker.service.ts',
    ],
    tables: ['tracker_issues', 'tickets', 'report_tickets', 'reports'],
  },
];

/**
 * Files that read and write their own scratch copies of other modules' tables, never the tables
 * themselves: `repro eval dedupe` builds a throw-away schema (CREATE TABLE x (LIKE public.x))
 * and fills it with the evaluation's issues.
 */
const SCRATCH_COPIES = [
  {
    file: 'src/modules/dedupe/eval/dedupe-eval.ts',
    tables: ['tracker_issues', 'tickets', 'report_tickets', 'reports'],
  },
];

/** Query-builder methods whose first argument may be a table name, and what they do to it. */
const BUILDER_METHODS = {
  from: 'reads',
  addFrom: 'reads',
  innerJoin: 'reads',
  leftJoin: 'reads',
  innerJoinAndSelect: 'reads',
  leftJoinAndSelect: 'reads',
  into: 'writes',
  update: 'writes',
  delete: 'writes',
};

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

const posix = (path) => relative(ROOT, path).split(sep).join('/');
const moduleOf = (path) => relative(MODULES, path).split(sep)[0];
const isTest = (path) => /\.(spec|e2e-spec|test)\.ts$/.test(path);
const parse = (path) =>
  ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);

/** `@Entity('name')`, `@Entity({ name: 'name' })`, or the class name in snake case. */
function entityTables(source) {
  const tables = [];
  const visit = (node) => {
    if (ts.isClassDeclaration(node)) {
      for (const decorator of ts.getDecorators(node) ?? []) {
        const call = decorator.expression;
        if (!ts.isCallExpression(call) || call.expression.getText(source) !== 'Entity') continue;
        const [arg] = call.arguments;
        let name = null;
        if (arg && ts.isStringLiteralLike(arg)) name = arg.text;
        else if (arg && ts.isObjectLiteralExpression(arg)) {
          const prop = arg.properties.find(
            (p) => ts.isPropertyAssignment(p) && p.name.getText(source) === 'name',
          );
          if (prop && ts.isStringLiteralLike(prop.initializer)) name = prop.initializer.text;
        }
        // The data source's SnakeNamingStrategy names an unnamed entity's table after its class.
        name ??= node.name?.text.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
        if (name) tables.push({ table: name, line: lineOf(source, node.getStart(source)) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return tables;
}

function lineOf(source, position) {
  return source.getLineAndCharacterOfPosition(position).line + 1;
}

const IDENT = String.raw`"?([A-Za-z_][A-Za-z0-9_]*)"?`;
const QUALIFIED = String.raw`(?:"?public"?\.)?${IDENT}`;
// Words that follow a table where an alias could stand; never aliases themselves.
const NOT_ALIAS = new Set(
  'WHERE JOIN LEFT RIGHT INNER OUTER FULL CROSS NATURAL ON USING GROUP ORDER LIMIT OFFSET SET RETURNING VALUES UNION EXCEPT INTERSECT WINDOW HAVING FOR SELECT DEFAULT ONLY LATERAL TABLESAMPLE WITH AS'.split(
    ' ',
  ),
);

/** Tables a piece of SQL reads or writes, with their offsets in it. */
function sqlTables(text) {
  const found = [];
  const writes = [
    new RegExp(String.raw`\bINSERT\s+INTO\s+${QUALIFIED}`, 'g'),
    new RegExp(String.raw`\bUPDATE\s+(?:ONLY\s+)?${QUALIFIED}`, 'g'),
    new RegExp(String.raw`\bDELETE\s+FROM\s+(?:ONLY\s+)?${QUALIFIED}`, 'g'),
    new RegExp(String.raw`\bTRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?${QUALIFIED}`, 'g'),
    new RegExp(String.raw`\bMERGE\s+INTO\s+${QUALIFIED}`, 'g'),
  ];
  for (const re of writes) {
    for (const m of text.matchAll(re)) {
      if (!isColumnRef(text, m.index + m[0].length)) {
        found.push({ table: m[1], access: 'writes', offset: m.index });
      }
    }
  }
  for (const m of text.matchAll(/\bJOIN\s+(?:LATERAL\s+)?/g)) {
    const table = tableAt(text, m.index + m[0].length);
    if (table) found.push({ table: table.name, access: 'reads', offset: m.index });
  }
  for (const m of text.matchAll(/\bFROM\s+(?:ONLY\s+)?/g)) {
    if (/\bDELETE\s+$/.test(text.slice(0, m.index))) continue;
    // FROM a [AS] x, b [AS] y, ...: every table of the list.
    let at = m.index + m[0].length;
    for (;;) {
      const table = tableAt(text, at);
      if (!table) break;
      found.push({ table: table.name, access: 'reads', offset: m.index });
      const rest = /^\s*(?:AS\s+)?(?:"?([A-Za-z_][A-Za-z0-9_]*)"?)?\s*(?:\([^)]*\))?\s*,\s*/.exec(
        text.slice(table.end),
      );
      if (!rest || (rest[1] && NOT_ALIAS.has(rest[1].toUpperCase()))) break;
      at = table.end + rest[0].length;
    }
  }
  return found;
}

/** A table name starting at `at` (not a function call, a subquery or a column). */
function tableAt(text, at) {
  const m = new RegExp(`^${QUALIFIED}`).exec(text.slice(at));
  if (!m) return null;
  const end = at + m[0].length;
  if (/^\s*\(/.test(text.slice(end)) || isColumnRef(text, end)) return null;
  return { name: m[1], end };
}

/** `x.y` after the keyword: a column (EXTRACT(EPOCH FROM r.created_at)), not a table. */
function isColumnRef(text, end) {
  return text[end] === '.';
}

/** Every table reference in a source file's strings and query builders. */
function references(source) {
  const refs = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      const start = node.getStart(source);
      const raw = source.text.slice(start, node.getEnd());
      for (const ref of sqlTables(raw)) {
        refs.push({ ...ref, line: lineOf(source, start + ref.offset) });
      }
      const call = node.parent;
      if (
        ts.isStringLiteralLike(node) &&
        call &&
        ts.isCallExpression(call) &&
        call.arguments[0] === node &&
        ts.isPropertyAccessExpression(call.expression) &&
        Object.hasOwn(BUILDER_METHODS, call.expression.name.text)
      ) {
        refs.push({
          table: node.text,
          access: BUILDER_METHODS[call.expression.name.text],
          line: lineOf(source, start),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

const owners = new Map();
const problems = [];
for (const path of walk(MODULES)) {
  if (!path.endsWith('.entity.ts')) continue;
  for (const { table, line } of entityTables(parse(path))) {
    const owner = { module: moduleOf(path), where: `${posix(path)}:${line}` };
    const other = owners.get(table);
    if (other && other.module !== owner.module) {
      problems.push(`${owner.where}: table ${table} is also declared by ${other.where}`);
    }
    owners.set(table, other ?? owner);
  }
}
if (!owners.size) {
  console.error(`No @Entity declarations found under ${posix(MODULES)}: nothing to check.`);
  process.exit(1);
}

const exceptionUsed = new Set();
const violations = [];
for (const path of walk(MODULES)) {
  if (!path.endsWith('.ts') || path.endsWith('.d.ts') || isTest(path)) continue;
  const file = posix(path);
  const module = moduleOf(path);
  const seen = new Set();
  for (const ref of references(parse(path))) {
    const owner = owners.get(ref.table);
    if (!owner || owner.module === module) continue;
    const key = `${ref.line} ${ref.access} ${ref.table}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const exception = READ_EXCEPTIONS.findIndex(
      (e) => e.files.includes(file) && e.tables.includes(ref.table),
    );
    if (SCRATCH_COPIES.some((s) => s.file === file && s.tables.includes(ref.table))) continue;
    if (ref.access === 'reads' && exception >= 0) {
      exceptionUsed.add(`${file} ${ref.table}`);
      continue;
    }
    violations.push({ file, line: ref.line, module, ...ref, owner: owner.module });
  }
}

for (const p of problems) console.log(p);
for (const v of violations) {
  console.log(`${v.file}:${v.line}  ${v.module} ${v.access} ${v.table} (owner: ${v.owner})`);
}
for (const e of READ_EXCEPTIONS) {
  for (const file of e.files) {
    if (!e.tables.some((t) => exceptionUsed.has(`${file} ${t}`))) {
      console.log(`note: ${file} reads none of the tables its exception allows (remove it?)`);
    }
  }
}
const count = violations.length + problems.length;
console.log(
  `${count} table-ownership violation${count === 1 ? '' : 's'} (${owners.size} tables, ` +
    `${new Set([...owners.values()].map((o) => o.module)).size} owning modules).`,
);
process.exit(count ? 1 : 0);

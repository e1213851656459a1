/**
 * `npm run bench:email [-- --rounds 7] [--round-ms 1000]`
 *
 * Messages parsed per second by parseEmail (src/modules/email/parsing/) for a typical forwarded
 * support mail (the Gmail forward fixture, text and HTML parts) and for the same forward with a
 * 5 MB attachment, beside the MIME library alone (mailparser's simpleParser, with the same
 * options parseEmail gives it) on the same bytes in the same run. Each figure is the median of
 * `--rounds` rounds of `--round-ms`, the two sides interleaved so a noisy neighbour hurts both
 * alike. The ratio is Repro's rate / the baseline's (1.0 = the forward, reply and automated-mail
 * reading on top of MIME costs nothing). No target: the figures are for comparison over time.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { parseEmail } from '../../src/modules/email/parsing/parse-email';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? NaN : Number(process.argv[i + 1]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const ROUNDS = arg('rounds', 7);
const ROUND_MS = arg('round-ms', 1000);
const OPTIONS = { maxAttachmentBytes: 10 * 1024 * 1024, ownAddresses: ['questions@repro.example'] };
const MIME_OPTIONS = {
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
};

async function rate(parse: () => Promise<unknown>, ms: number): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    await parse();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(name: string, raw: Buffer): Promise<void> {
  const repro = (): Promise<unknown> => parseEmail(raw, OPTIONS);
  const baseline = (): Promise<unknown> => simpleParser(raw, MIME_OPTIONS);
  // Warm-up: JIT, the libraries' lazy regexes and tables.
  await rate(repro, ROUND_MS / 2);
  await rate(baseline, ROUND_MS / 2);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2) {
      theirs.push(await rate(baseline, ROUND_MS));
      ours.push(await rate(repro, ROUND_MS));
    } else {
      ours.push(await rate(repro, ROUND_MS));
      theirs.push(await rate(baseline, ROUND_MS));
    }
  }
  const [a, b] = [median(ours), median(theirs)];
  const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1)).padStart(8);
  console.log(`${name} (${(raw.length / 1024).toFixed(1)} KB on the wire)`);
  console.log(
    `  mailparser simpleParser (baseline) ${fmt(b)} msg/s  ${(1000 / b).toFixed(2).padStart(8)} ms/msg`,
  );
  console.log(
    `  parseEmail                         ${fmt(a)} msg/s  ${(1000 / a).toFixed(2).padStart(8)} ms/msg`,
  );
  console.log(`  ratio (parseEmail / baseline)      ${(a / b).toFixed(2)}×`);
  console.log(`  rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);
}

async function main(): Promise<void> {
  console.log(
    `bench:email: ${ROUNDS} rounds of ${ROUND_MS} ms per side, median; node ${process.version}, ` +
      `${availableParallelism()} cores, load ${loadavg()[0].toFixed(2)}\n`,
  );
  const forward = readFileSync(join(__dirname, '../fixtures/email/forwards/gmail-en.eml'));
  const check = await parseEmail(forward, OPTIONS);
  if (!check.forwarded) throw new Error('the forward fixture was not read as a forward');
  await measure('typical forward (Gmail, text + HTML)', forward);

  const withAttachment = await new MailComposer({
    from: 'Sam Ortiz <sam.ortiz@help.tilework.example>',
    to: 'bugs@in.repro.example',
    subject: check.subject,
    text: check.text,
    attachments: [{ filename: 'screen-recording.mp4', content: randomBytes(5 * 1024 * 1024) }],
  })
    .compile()
    .build();
  await measure('forward with a 5 MB attachment', withAttachment);
}

void main();

/**
 * What a maintainer's follow-up asks the reporter for, in the agent's question kinds, each with
 * the phrase it rests on. Requests outside the taxonomy (share your config, is the room
 * encrypted, fill in the template) are `other`: they count, but no agent question covers them.
 */
import { QUESTION_KINDS, type QuestionKind } from '../engine/triage.types';

export type FollowupKind = QuestionKind | 'other';

export interface FollowupAsk {
  kind: FollowupKind;
  /** The follow-up's words the kind rests on, at most 100 characters. */
  phrase: string;
}

// Something else's version: a browser, an OS, another tool.
const OTHER_PRODUCT =
  /\b(firefox|chrome|chromium|safari|edge|browser|windows|mac ?os|os|ios|android|linux|node|python|vs ?code|visual studio|editor|git|docker|database|postgres|mysql)\b/i;

/** Patterns per kind, most specific first; a sentence may match several kinds. */
const PATTERNS: [FollowupKind, RegExp][] = [
  [
    'latest',
    /\b(latest|newest|most recent|current) (\w+ ){0,2}(versions?|releases?|builds?|nightly|master)\b|\b(test|try|check|reproduce)\w* (it |this |again )?(on|with|in) (the )?(latest|a release|master|nightly)\b|\bstill (present|persist\w*|happen\w*|occur\w*|experienc\w*|see\w*|an issue|a problem|the case)\b|\bpersists?\b|\btry with a release\b|\bmore recent versions?\b|\bupdat\w* to\b|\bplease (update|upgrade)\b|\bout of date\b/i,
  ],
  [
    'version',
    /\b(which|what) (\w+ ){0,2}(versions?|build|release)\b|\bversions? (number|are you|do you)\b|\b(actual|exact) version\b|\bversion of\b|\bSHA\b|\bcommit( hash)?\b(?= (are|do|you)|\?)/i,
  ],
  [
    'logs',
    /\blogs?\b|\blog ?files?\b|\bconsole\b|\bdev ?tools\b|\bnetwork (tab|call|requests?|errors?)\b|\bstack ?trace\b|\bfull error\b|\berror (messages?|output) in\b|\b(js|javascript|network) errors?\b|\bany errors? (in|on|from)\b|\brageshake\b/i,
  ],
  [
    'screenshot',
    /\b(provide|attach|share|post|add|send|include|upload|record|ask(s|ed)? for)\b[^.?!]{0,40}\b(screenshots?|screen-?shots?|screen ?casts?|screen recordings?|videos?|gifs?)\b|\bscreenshots?\b[^.?!]{0,30}\?/i,
  ],
  [
    'environment',
    /\b(which|what|what'?s) (\w+ ){0,2}(os|operating system|browser|device|platform|timezone|time zone)\b|\b(another|different|other) (windows |mac )?(computer|machine|browser|device)\b|\b(add-on|extension|incognito|private (mode|window))\b|\bversion of (firefox|chrome|safari|edge|the browser|windows|mac ?os|your browser|ios|android)\b|\b(os|operating system|browser) (version|are you)\b|\bare you (using|on) (a |the )?(mac|windows|linux|mobile|desktop app|android|ios)\b/i,
  ],
  [
    'steps',
    /\bsteps\b|\bhow (to|do you|can (I|we)|did you) (reproduce|replicate|trigger|get)\b|\b(reproduce|replicate) (it|this|the (issue|bug|problem))\b(?! on)|\bwhat (exactly )?did you do\b|\b(describe|explain) (how|what you)\b|\bminimal (example|repro\w*)\b|\bexample (file|repo|project)\b/i,
  ],
  [
    'expected',
    /\bwhat (did|do|would) you expect\b|\bexpected (behaviou?r|result|outcome)\b|\bwhat should (happen|it do)\b/i,
  ],
  [
    'actual',
    /\bare you seeing\b|\bdo you see\b(?! any (errors?|network))|\bwhat (do you see|happens|happened|is shown|exactly happens)\b|\bany errors? (showing|shown|displayed|appear\w*|when)\b|\bwhat (error|message)\b|\b(error|message) (do|did) you (get|see)\b|\bwhite screen\b|\bwhat exactly is the (issue|problem|bug)\b/i,
  ],
  [
    'frequency',
    /\bhow often\b|\b(every|each) time\b|\b(reliably|consistently) (replicate|reproduce)\b|\bintermittent\w*\b|\balways happen\w*\b|\bdoes it happen (every|all the time|always|sometimes)\b|\bcan you (reliably )?(replicate|reproduce) (this|it)\b/i,
  ],
  [
    'where',
    /\b(which|what) (page|screen|url|dashboard|view|room|tab|panel)\b|\blink to\b|\b(send|share|post|provide) (us )?(the |a )?(link|url)\b|\bwhere (exactly|do|does|did)\b|\bdoes it also happen (with|on|in) https?:\/\//i,
  ],
  [
    'impact',
    /\bhow many (users|people|accounts)\b|\b(is|are) (this|it|you) blocking\b|\bhow (bad|severe|serious)\b|\bimpact\b/i,
  ],
  [
    'when',
    /\bwhen did (this|it) (start|begin)\b|\bsince when\b|\b(started|stopped) (working|happening)\b|\bpreviously worked\b|\bworked before\b|\bnew install\b|\b(after|since) (an?|the) (update|upgrade)\b|\bwhat changed\b/i,
  ],
  [
    'other',
    /\b(fill(ing)? (in|out)|complet(e|ing)|use) (the |this |a )?(rest of the )?(bug |issue |standard issue )?template\b|\bissue template\b|\b(config(uration)?|settings|options|json|dashboard json|control panel)\b|\b(public |your )?repositor(y|ies)\b|\.gitignore\b|\brestart(ed)?\b|\bencrypted\b|\bcustom (cards?|build|resources?)\b|\bcloud storage\b|\breverse proxy\b|\bvariables?\b|\bstandard install\b|\banother editor\b|\bcould you confirm\b|\bsounds like #\d+|\bgit branch -a\b/i,
  ],
];

for (const [kind] of PATTERNS) {
  if (kind !== 'other' && !(QUESTION_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`Unknown question kind in the follow-up patterns: ${kind}`);
  }
}

function sentences(text: string): string[] {
  return text
    .replace(/[‘’]/g, "'")
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/\]\([^)]*\)/g, ']')
    .replace(/\bhttps?:\/\/\S+/g, (url) => (/viewer\.html|demo|play\./.test(url) ? url : ' '))
    .split(/(?<=[.?!])\s+|\n+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A maintainer's own test report ("works for me in Firefox 117"), not a request. */
const STATEMENT =
  /\b(seems fine|wfm|works (perfectly )?(fine )?for me|(cannot|can'?t|couldn'?t|could not|unable to|not (been )?able to|never managed to) (reproduce|replicate|recreate)|i saw this|tested (with|a bunch))\b/i;
/** Words by which a sentence asks for something; a sentence without them and without "?" tells. */
const REQUEST =
  /\?|\b(please|could|can|would|share|post|provide|send|attach|upload|try|test|check|fill|complete|let (us|me) know|need|submit|open|run|show|record)\b/i;

/**
 * The kinds a follow-up asks for, sentence by sentence, each with its phrase. A
 * follow-up that asks nothing the patterns know, but does ask (a question mark, "please"), is
 * `other`.
 */
export function followupKinds(text: string | null | undefined): FollowupAsk[] {
  if (!text?.trim()) return [];
  const found = new Map<FollowupKind, string>();
  for (const sentence of sentences(text)) {
    if (!REQUEST.test(sentence)) continue;
    // "I could not reproduce this" asks for nothing, unless the sentence goes on to ask.
    if (STATEMENT.test(sentence) && !/\?|\bneed\b|\bplease\b/i.test(sentence)) continue;
    for (const [kind, pattern] of PATTERNS) {
      if (found.has(kind)) continue;
      const m = pattern.exec(sentence);
      if (!m) continue;
      // "Which version of Firefox" asks for the environment, not the product's version.
      if (kind === 'version' && OTHER_PRODUCT.test(sentence.slice(m.index, m.index + 40))) {
        if (!/\b(app|desktop|server|core)\b/i.test(sentence.slice(m.index, m.index + 40))) continue;
      }
      found.set(kind, m[0].slice(0, 100));
    }
  }
  if (found.size === 0) {
    const ask = sentences(text).find((s) => /\?$|\bplease\b|\bcould you\b|\bcan you\b/i.test(s));
    if (ask) found.set('other', ask.slice(0, 100));
  }
  return [...found].map(([kind, phrase]) => ({ kind, phrase }));
}

/** Kinds that answer the same need: the newest version settles "which version", a picture shows what happens. */
const SAME_NEED: Partial<Record<QuestionKind, QuestionKind[]>> = {
  latest: ['version'],
  version: ['latest'],
  screenshot: ['actual'],
  actual: ['screenshot'],
};

/** True when an agent question of kind `asked` covers what the maintainer asked as `wanted`. */
export function kindCovers(asked: QuestionKind, wanted: FollowupKind): boolean {
  if (wanted === 'other') return false;
  return asked === wanted || (SAME_NEED[asked] ?? []).includes(wanted);
}

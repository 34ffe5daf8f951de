/**
 * Token counts of export lines, with OpenAI's o200k_base encoding (gpt-tokenizer: pure
 * JavaScript with the vocabulary in the package, so it works offline and in any runtime).
 * A count is a length guard, not an exact bill for every model: another model's
 * tokenizer gives a different number, and a chat template adds a few tokens per message.
 */
import { hash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { errorCode } from '../lib/errors.ts';

/**
 * The encoder, loaded on the first text to count (its vocabulary takes ~0.2 s to load;
 * an export whose counts are all kept never needs it). Node loads an ES module with
 * `require` when it has no top-level await.
 */
let encoder: ((text: string, options: { disallowedSpecial: Set<string> }) => number) | undefined;
function countO200k(text: string, options: { disallowedSpecial: Set<string> }): number {
  encoder ??= (createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as typeof import('gpt-tokenizer/encoding/o200k_base')).countTokens;
  return encoder(text, options);
}

/** The name the manifest gives the tokenizer. */
export const TOKENIZER = 'o200k_base (gpt-tokenizer)';

/**
 * BPE time grows with the square of a piece without spaces (a 65k-character line of
 * dashes took 3.5 s whole), so texts are counted in segments of at most this many
 * characters, cut at a line break or space where the segment's second half has one.
 * A cut inside a word can change the count by a token or two.
 */
const SEGMENT = 1024;

/** Text is counted as text: a control token in it is counted as the characters it is made of. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** The number of tokens of one text. */
export function countTextTokens(text: string): number {
  if (text.length <= SEGMENT) return countO200k(text, AS_TEXT);
  let n = 0;
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + SEGMENT, text.length);
    if (end < text.length) {
      const half = start + SEGMENT / 2;
      const newline = text.lastIndexOf('\n', end - 1);
      const space = text.lastIndexOf(' ', end - 1);
      if (newline > half) end = newline;
      else if (space > half) end = space;
      else {
        const code = text.charCodeAt(end - 1);
        if (code >= 0xd800 && code <= 0xdbff) end -= 1; // keep a surrogate pair whole
      }
    }
    n += countO200k(text.slice(start, end), AS_TEXT);
    start = end;
  }
  return n;
}

/**
 * Token counts kept between exports in the clone's git directory
 * (`.git/plover/token-counts`, never committed): BPE is most of an export's time, and
 * most texts are the same from one export to the next. An entry is keyed by the SHA-1 of
 * the text, so it can never be stale; a missing or unreadable file is an empty cache.
 */
export class TokenCountCache {
  private readonly file: string | null;
  private readonly known = new Map<string, number>();
  private readonly used = new Map<string, number>();
  private added = 0;

  private constructor(file: string | null) {
    this.file = file;
  }

  /** Opens the cache of the repository at `dir` (none outside a git working tree). */
  static async open(dir: string): Promise<TokenCountCache> {
    const gitDir = join(dir, '.git');
    const isDir = await stat(gitDir).then(
      (s) => s.isDirectory(),
      () => false,
    ); // a worktree's .git is a file: no cache there
    const cache = new TokenCountCache(isDir ? join(gitDir, 'plover', CACHE_FILE) : null);
    if (!cache.file) return cache;
    let text = '';
    try {
      text = await readFile(cache.file, 'utf8');
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      return cache; // ENOENT: the first export of this clone
    }
    for (const line of text.split('\n')) {
      const tab = line.indexOf('\t');
      const n = Number(line.slice(tab + 1));
      if (tab === KEY_LENGTH && Number.isInteger(n) && n >= 0) cache.known.set(line.slice(0, tab), n);
    }
    return cache;
  }

  /** The number of tokens of `text`, from the cache or counted. */
  count = (text: string): number => this.find(text, true)!;

  /** The number of tokens of `text` if the cache has it; undefined (not counted) if not. */
  lookup = (text: string): number | undefined => this.find(text, false);

  private find(text: string, counting: boolean): number | undefined {
    const key = hash('sha1', text, 'hex').slice(0, KEY_LENGTH);
    let n = this.used.get(key) ?? this.known.get(key);
    if (n === undefined) {
      if (!counting) return undefined;
      n = countTextTokens(text);
      this.added += 1;
    }
    this.used.set(key, n);
    return n;
  }

  /** The counts used so far, and how many of them were counted rather than found: what a reading thread hands back. */
  takeUsed(): { used: [string, number][]; added: number } {
    return { used: [...this.used], added: this.added };
  }

  /** Adds what another thread's cache used (see takeUsed), so that save writes it too. */
  merge(other: { used: [string, number][]; added: number }): void {
    for (const [k, n] of other.used) this.used.set(k, n);
    this.added += other.added;
  }

  /** Writes the counts this export used (and the older ones, up to a bound) when it counted anything new. */
  async save(write: (path: string, text: string) => Promise<void>): Promise<void> {
    if (!this.file || this.added === 0) return;
    const entries = new Map(this.used);
    // Older entries (other formats, other filters) are kept while the file stays small.
    for (const [k, n] of this.known) {
      if (entries.size >= MAX_ENTRIES) break;
      if (!entries.has(k)) entries.set(k, n);
    }
    let text = '';
    for (const [k, n] of entries) text += `${k}\t${n}\n`;
    await mkdir(dirname(this.file), { recursive: true });
    await write(this.file, text);
  }
}

const CACHE_FILE = 'token-counts';
/** 64 bits of SHA-1: a collision among a few million texts is out of reach. */
const KEY_LENGTH = 16;
/** About 50 MB of file. */
const MAX_ENTRIES = 2_000_000;

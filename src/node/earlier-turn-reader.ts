/**
 * Earlier turns for the export (src/lib/export/earlier-turns.ts): the corrected text of
 * each earlier turn a line's context holds, settled on the thread that reads the
 * corrections (corrections-thread.worker.ts) as the stream meets it.
 */
import type { EarlierTurnIndex } from '../lib/export/earlier-turns.ts';
import { resolveCorrectedText } from '../lib/team/resolve.ts';
import type { ExportOptions } from '../lib/export/export-format.ts';
import { CORRECTIONS_DIR, candidateKey } from '../lib/records/paths.ts';
import { MAX_CORRECTION_BYTES, parseCorrection, type LocatedCorrection } from '../lib/records/correction.ts';
import type { DataSource } from '../lib/records/repository.ts';
import type { Correction } from '../lib/records/schema-types.generated.ts';

/**
 * The corrected texts of earlier turns, for the compiler's context (EarlierTurnContext):
 * `textsFor` gives those a group needs, and a text is dropped once no later turn needs
 * it, so that memory holds only the texts still waited for. They are taken from the
 * stream as their groups pass; a later turn whose earlier turn has not passed yet (files
 * come in hash order) has that turn's files read there and then. Those files are parsed
 * without a second schema check: the streaming pass checks every file, and fails the
 * export on any problem.
 */
export class EarlierTurnReader {
  /** The corrected texts of settled earlier turns that a later turn still needs. */
  private readonly texts = new Map<string, string>();
  /** For each earlier turn, how many of its later turns have not passed yet. */
  private readonly waiting = new Map<string, number>();
  private readonly turns: EarlierTurnIndex['turns'];
  private readonly sources: Set<string>;
  private readonly source: DataSource;
  private readonly policy: ExportOptions['resolve'];
  /** Sources whose decision is known (from the stream or read ahead of it). */
  private readonly known = new Set<string>();
  /** Sources read ahead of the stream whose own group has not come yet. */
  private readonly ahead = new Set<string>();
  /** Correction files by candidate key (`<shard>/<key>`), listed at the first read ahead. */
  private files: Map<string, string[]> | undefined;

  /** Takes the earlier turns found among the candidates (EarlierTurnFinder). */
  constructor(source: DataSource, { turns, sources }: EarlierTurnIndex, policy: ExportOptions['resolve']) {
    this.turns = turns;
    for (const byIndex of turns.values()) for (const ids of byIndex.values()) for (const id of ids) this.waiting.set(id, (this.waiting.get(id) ?? 0) + 1);
    this.sources = sources;
    this.source = source;
    this.policy = policy;
  }

  /**
   * Settles every earlier turn `group`'s candidate needs, and what `group` itself settles.
   * @returns a promise to wait for when files must be read first; otherwise nothing (most groups: no await per group).
   */
  prepare(group: LocatedCorrection[]): Promise<void> | undefined {
    const id = group[0]!.correction.candidate_id;
    this.ahead.delete(id);
    if (this.sources.has(id) && !this.known.has(id))
      this.take(
        id,
        group.map((c) => c.correction),
      );
    const turns = this.turns.get(id);
    if (!turns) return undefined;
    let missing: string[] | undefined;
    for (const ids of turns.values()) for (const earlier of ids) if (!this.known.has(earlier)) (missing ??= []).push(earlier);
    return missing ? this.readAhead(missing) : undefined;
  }

  /** After prepare: the corrected texts of the earlier turns of `group`'s candidate, by candidate id. */
  textsFor(group: LocatedCorrection[]): [string, string][] {
    const turns = this.turns.get(group[0]!.correction.candidate_id);
    if (!turns) return [];
    const found: [string, string][] = [];
    for (const ids of turns.values()) {
      for (const id of ids) {
        const text = this.texts.get(id);
        if (text !== undefined) found.push([id, text]);
        const left = this.waiting.get(id)! - 1;
        if (left > 0) this.waiting.set(id, left);
        else this.texts.delete(id);
      }
    }
    return found;
  }

  /** Whether the earlier turn `id` was read ahead of the stream, and its own group has not come yet. */
  isAhead(id: string): boolean {
    return this.ahead.has(id);
  }

  private take(id: string, corrections: Correction[]) {
    this.known.add(id);
    const text = corrections.length ? resolveCorrectedText(corrections, this.policy) : undefined;
    if (text !== undefined) this.texts.set(id, text);
  }

  private async readAhead(ids: string[]) {
    if (!this.files) {
      const files = new Map<string, string[]>();
      for (const { path, kind } of await this.source.list(CORRECTIONS_DIR)) {
        if (kind) continue; // named by the streaming pass, never read
        const key = path.slice(CORRECTIONS_DIR.length + 1, path.indexOf('--'));
        const list = files.get(key);
        if (list) list.push(path);
        else files.set(key, [path]);
      }
      this.files = files;
    }
    for (const id of ids) {
      const { shard, key } = candidateKey(id);
      const corrections: Correction[] = [];
      for (const path of this.files.get(`${shard}/${key}`) ?? []) {
        const bytes = await this.source.read(path, MAX_CORRECTION_BYTES);
        if ('tooLarge' in bytes) continue; // reported by the streaming pass
        const { correction } = parseCorrection(this.decoder.decode(bytes), path, false);
        if (correction?.candidate_id === id) corrections.push(correction);
      }
      this.ahead.add(id);
      this.take(id, corrections);
    }
  }

  /** Invalid UTF-8 is reported by the streaming pass; here it only has to be read. */
  private readonly decoder = new TextDecoder();
}

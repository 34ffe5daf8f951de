/**
 * Earlier turns for the export (src/lib/export/earlier-turns.ts): the corrected text of
 * each earlier turn a line's context holds, as the streaming pass of writeExport meets it.
 */
import type { EarlierTurnIndex } from '../lib/export/earlier-turns.ts';
import { resolveCorrectedText } from '../lib/team/resolve.ts';
import type { EarlierTurnContext } from '../lib/export/export.ts';
import type { ExportOptions } from '../lib/export/export-format.ts';
import { CORRECTIONS_DIR, candidateKey } from '../lib/records/paths.ts';
import { MAX_CORRECTION_BYTES, parseCorrection, type LocatedCorrection } from '../lib/records/correction.ts';
import type { DataSource } from '../lib/records/repository.ts';
import type { Correction } from '../lib/records/schema-types.generated.ts';

/**
 * The corrected texts of earlier turns, for the compiler's context. They are taken from
 * the stream as their groups pass; a later turn whose earlier turn has not passed yet
 * (files come in hash order) has that turn's files read there and then. Those files are
 * parsed without a second schema check: the streaming pass checks every file, and fails
 * the export on any problem.
 */
export class EarlierTurnReader {
  readonly context: EarlierTurnContext;
  private readonly sources: Set<string>;
  private readonly source: DataSource;
  private readonly policy: ExportOptions['resolve'];
  /** Sources whose decision is known (from the stream or read ahead of it). */
  private readonly known = new Set<string>();
  /** Correction files by candidate key (`<shard>/<key>`), listed at the first read ahead. */
  private files: Map<string, string[]> | undefined;

  /** Takes the earlier turns found among the candidates (EarlierTurnFinder). */
  constructor(source: DataSource, { turns, sources }: EarlierTurnIndex, policy: ExportOptions['resolve']) {
    this.context = { turns, corrected: new Map() };
    this.sources = sources;
    this.source = source;
    this.policy = policy;
  }

  /**
   * Makes sure the compiler knows every earlier turn `group`'s candidate needs, and takes
   * what `group` itself settles.
   * @returns a promise to wait for when files must be read first; otherwise nothing (most groups: no await per group).
   */
  prepare(group: LocatedCorrection[]): Promise<void> | undefined {
    const id = group[0]!.correction.candidate_id;
    if (this.sources.has(id) && !this.known.has(id))
      this.take(
        id,
        group.map((c) => c.correction),
      );
    const turns = this.context.turns.get(id);
    if (!turns) return undefined;
    let missing: string[] | undefined;
    for (const ids of turns.values()) for (const earlier of ids) if (!this.known.has(earlier)) (missing ??= []).push(earlier);
    return missing ? this.readAhead(missing) : undefined;
  }

  private take(id: string, corrections: Correction[]) {
    this.known.add(id);
    const text = corrections.length ? resolveCorrectedText(corrections, this.policy) : undefined;
    if (text !== undefined) this.context.corrected.set(id, text);
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
      this.take(id, corrections);
    }
  }

  /** Invalid UTF-8 is reported by the streaming pass; here it only has to be read. */
  private readonly decoder = new TextDecoder();
}

/**
 * What `plover validate` checks, for a working tree or a commit: every candidate,
 * correction and suggestion (schemas, references, paths), the configuration and who may adjudicate, the
 * corrections as training targets (warnings), and folders past the entries a git host
 * recommends (warnings). `plover validate` prints it; `plover summary` puts it at the top
 * of a pull request's report.
 */
import { posix } from 'node:path';
import type { Problem } from '../lib/errors.ts';
import { CANDIDATES_DIR, readRepository, type DataSource, type RepositoryData } from '../lib/records/repository.ts';
import { CORRECTIONS_DIR } from '../lib/records/paths.ts';
import { readSuggestions } from '../lib/records/suggestions.ts';
import { checkTargets } from '../lib/export/target-checks.ts';
import { adjudicationProblem, checkConfig } from '../lib/team/team.ts';
import { readConfigFile, readConfigFileAt, SITE_CONFIG_FILE } from './site-config.ts';
import { compareOrdinal } from '../lib/ordinal.ts';

/** GitHub recommends at most this many entries in one folder of a repository. */
export const MAX_FOLDER_ENTRIES = 3000;

export interface RepositoryCheck {
  data: RepositoryData;
  problems: Problem[];
  warnings: Problem[];
  /** Corrections that are the model's response unchanged. */
  unchanged: number;
}

/** Checks the repository at `dir` as `source` reads it (the working tree, or a commit: its own plover.config.json then). */
export async function checkRepository(dir: string, given: DataSource & { commit?: string }): Promise<RepositoryCheck> {
  // The folders are listed once: for reading, and again here for the entries per folder.
  const listings = new Map<string, ReturnType<DataSource['list']>>();
  const source: DataSource & { commit?: string } = {
    ...given,
    list: (folder) => listings.get(folder) ?? listings.set(folder, given.list(folder)).get(folder)!,
    read: (path, maxBytes) => given.read(path, maxBytes),
    close: () => given.close(),
  };
  const data = await readRepository(source);
  const problems = [...data.problems, ...(await readSuggestions(source, (id) => data.candidates.has(id))).problems];
  // The team's split is checked with the data: a broken one would stop the review page.
  const team = checkConfig(source.commit ? await readConfigFileAt(dir, source.commit) : readConfigFile(dir), SITE_CONFIG_FILE);
  problems.push(...team.problems);
  if (!team.problems.length) {
    for (const located of data.corrections) {
      const problem = adjudicationProblem(team.team, located);
      if (problem) problems.push(problem);
    }
  }
  const { warnings, unchanged } = checkTargets(data.candidates, data.corrections);
  const listed = [...(await source.list(CANDIDATES_DIR)), ...(await source.list(CORRECTIONS_DIR))];
  warnings.push(...crowdedFolders(listed.map((f) => f.path)));
  return { data, problems, warnings, unchanged };
}

/** A warning for each folder holding more than MAX_FOLDER_ENTRIES entries (files, or the shard folders of corrections/). */
function crowdedFolders(paths: string[]): Problem[] {
  const entries = new Map<string, Set<string>>();
  const note = (path: string) => {
    const folder = posix.dirname(path);
    if (!entries.has(folder)) entries.set(folder, new Set());
    entries.get(folder)!.add(posix.basename(path));
    if (folder !== '.' && folder.includes('/')) note(folder);
  };
  for (const path of paths) note(path);
  return [...entries]
    .filter(([, names]) => names.size > MAX_FOLDER_ENTRIES)
    .sort(([a], [b]) => compareOrdinal(a, b))
    .map(([folder, names]) => ({
      file: `${folder}/`,
      message: `holds ${names.size} entries; git hosts slow down past ${MAX_FOLDER_ENTRIES} in one folder (GitHub's recommended limit): split the candidate files into fewer, larger runs, or see the README's "Layout and limits"`,
    }));
}

/**
 * Sharing the work of a team without a server: `team` in plover.config.json lists the
 * members (reviewer emails) and `overlap`, how many of them review each candidate. Each
 * candidate goes to the `overlap` members with the highest weight for it (rendezvous, or
 * highest-random-weight, hashing): the same answer wherever it is computed (the label
 * server, `plover`, the hosted page), and when a member joins or leaves, only the
 * candidates of their share move.
 */
import { formatProblem, PloverError, type Problem } from '../errors.ts';
import { hash53, normalizeEmail } from '../records/paths.ts';
import { configSchema } from '../records/schemas.ts';
import { SITE_CONFIG_FILE } from '../records/site-config.ts';
import { checkAgainstSchema } from '../records/schema-check.ts';
import type { LocatedCorrection } from '../records/correction.ts';

export interface Team {
  /** Normalised emails, in the order the file lists them. */
  members: string[];
  /** Members per candidate (1 or more; capped by the team's size). */
  overlap: number;
  /** Normalised emails of those whose decision settles a candidate its reviewers disagree on. */
  adjudicators: string[];
}

/** An email as the config schema has it: printable ASCII around one @ (no invisible or look-alike characters). */
const EMAIL = new RegExp(configSchema.$defs.email.pattern);

/**
 * The team of plover.config.json's `team` (`{ "members": [...], "overlap": 1,
 * "adjudicators": [...] }`), null when there is none; problems name the JSON path and the fix.
 */
export function parseTeam(config: unknown, file: string): { team: Team | null; problems: Problem[] } {
  const value = (config as { team?: unknown } | null | undefined)?.team;
  if (value === undefined || value === null) return { team: null, problems: [] };
  const problems: Problem[] = [];
  const fail = (path: string, message: string) => problems.push({ file, path, message });
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail('team', 'must be an object like {"members": ["ann@example.org", "bob@example.org"], "overlap": 1}');
    return { team: null, problems };
  }
  const { members = [], overlap = 1, adjudicators = [], ...rest } = value as { members?: unknown; overlap?: unknown; adjudicators?: unknown };
  for (const key of Object.keys(rest)) fail(`team.${key}`, 'is not a team setting; the settings are "members", "overlap" and "adjudicators"');
  const emailsOf = (list: unknown, key: string): string[] => {
    const emails = new Set<string>();
    if (!Array.isArray(list)) {
      fail(`team.${key}`, `must be a list of reviewers' emails, e.g. ["ann@example.org", "bob@example.org"]`);
      return [];
    }
    list.forEach((m, i) => {
      if (typeof m !== 'string' || !EMAIL.test(m.trim())) {
        // Name the character a reader cannot see or tell apart (a zero-width space, a Cyrillic а).
        const odd = typeof m === 'string' ? /[^!-~]/u.exec(m.trim())?.[0] : undefined;
        const which = odd ? ` (it holds U+${odd.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})` : '';
        return fail(`team.${key}[${i}]`, `${JSON.stringify(m)} is not an email address in printable ASCII${which}; write the email the reviewer signs their decisions with`);
      }
      const email = normalizeEmail(m);
      if (emails.has(email)) return fail(`team.${key}[${i}]`, `${JSON.stringify(m)} is listed twice; list each reviewer once`);
      emails.add(email);
    });
    return [...emails];
  };
  const emails = emailsOf(members, 'members');
  const judges = emailsOf(adjudicators, 'adjudicators');
  if (Array.isArray(members) && Array.isArray(adjudicators) && emails.length + judges.length === 0 && !problems.length) {
    fail('team', 'lists nobody; give "members" (who share the work) or "adjudicators" (who settle disagreements), or remove "team"');
  }
  if (!Number.isInteger(overlap) || (overlap as number) < 1) fail('team.overlap', `${JSON.stringify(overlap)} is not a whole number of reviewers per candidate (1 or more)`);
  else if (emails.length && (overlap as number) > emails.length)
    fail(
      'team.overlap',
      `is ${String(overlap)}, more than the ${emails.length} member${emails.length === 1 ? '' : 's'} of the team: each candidate would go to fewer reviewers than it says; lower it or list more members`,
    );
  return problems.length ? { team: null, problems } : { team: { members: emails, overlap: overlap as number, adjudicators: judges }, problems };
}

/**
 * plover.config.json checked whole, as validate and export both check it: against its
 * schema (an unknown key anywhere) and the team's own rules, each JSON path named once
 * (the team's words first: an email's rule, overlap against the members).
 */
export function checkConfig(config: unknown, file: string): { team: Team | null; problems: Problem[] } {
  const schema = config === undefined ? [] : checkAgainstSchema('config', config, { file });
  const { team, problems } = parseTeam(config, file);
  const named = new Set(problems.map((p) => p.path));
  return { team, problems: [...schema.filter((p) => !named.has(p.path)), ...problems] };
}

/**
 * The team of a parsed plover.config.json (null without one), for the places that need
 * a working one (the label server, `plover stats`, the hosted page).
 * @throws PloverError `E_SITE_CONFIG` naming each JSON path and the fix.
 */
export function requireTeam(config: unknown, file: string): Team | null {
  const { team, problems } = parseTeam(config, file);
  if (problems.length) throw new PloverError('E_SITE_CONFIG', problems.map(formatProblem).join('\n'));
  return team;
}

/** The members a candidate is assigned to: the `min(overlap, members)` with the highest weight for it. */
export function assignees(team: Pick<Team, 'members' | 'overlap'>, candidateId: string): string[] {
  const weighted = team.members.map((m) => ({ m, w: hash53(`${candidateId}\n${m}`) }));
  // Ties (a 2^-53 chance) go to the lower email, so the order is total.
  weighted.sort((a, b) => b.w - a.w || (a.m < b.m ? -1 : 1));
  return weighted.slice(0, Math.min(team.overlap, team.members.length)).map((x) => x.m);
}

/**
 * A correction that says it settles a disagreement although its reviewer is not an
 * adjudicator: validate and export refuse it alike (undefined when it is fine).
 */
export function adjudicationProblem(team: Team | null, { file, correction }: LocatedCorrection): Problem | undefined {
  if (!correction.adjudication || isAdjudicator(team, correction.reviewer.email)) return undefined;
  return {
    file,
    path: 'adjudication',
    message: `is set, but ${correction.reviewer.email} is not in team.adjudicators of ${SITE_CONFIG_FILE}, and only an adjudicator's decision settles a disagreement: list them there, or remove "adjudication"`,
  };
}

/** Whether this reviewer's decisions settle disagreements. */
export function isAdjudicator(team: Team | null, email: string): boolean {
  return team !== null && team.adjudicators.includes(normalizeEmail(email));
}

// docs/cli.md against the usage text (`plover help`): every command the usage names has
// its row in the reference, and every option either names is named by the other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../src/cli/usage.ts';
import { ROOT } from '../helpers/repo.ts';

/** The usage text's commands (`submit --from` apart from `submit`), each with the options its block names. */
function usageCommands(): Map<string, Set<string>> {
  const commands = new Map<string, Set<string>>();
  const body = USAGE.slice(USAGE.indexOf('Commands:'), USAGE.indexOf('Common options:'));
  let current: Set<string> | undefined;
  for (const line of body.split('\n')) {
    const head = /^ {2}([a-z]+(?: import)?)(?:\s|$)(.*)$/.exec(line);
    if (head) {
      const name = head[2]!.startsWith('--from') ? `${head[1]} --from` : head[1]!;
      commands.set(name, (current = new Set()));
    }
    for (const m of line.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)) current?.add(m[0]);
  }
  return commands;
}

/** docs/cli.md's table: each row's command (as `usageCommands` names it) with the options the row names. */
function documentedCommands(): Map<string, Set<string>> {
  const text = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
  const rows = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const row = /^\| `plover ([a-z]+(?: import)?)( --from)?[^`]*` \|/.exec(line);
    if (!row) continue;
    rows.set(`${row[1]}${row[2] ?? ''}`, new Set([...line.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0])));
  }
  return rows;
}

describe('docs/cli.md', () => {
  const usage = usageCommands();
  const docs = documentedCommands();

  it('has a row for every command of the usage text, and none the usage lacks', () => {
    expect(usage.size).toBeGreaterThan(10);
    expect([...docs.keys()].sort()).toEqual([...usage.keys()].sort());
  });

  it.each([...usageCommands().keys()])('names the options of `plover %s` that the usage text names, and no other', (command) => {
    const documented = docs.get(command) ?? new Set();
    // A row may name another command's option in passing (export's row names what validate checks): only options of this command count.
    const named = [...usage.get(command)!].filter((o) => !documented.has(o));
    expect(named, 'in the usage text, not in the row').toEqual([]);
    const unknown = [...documented].filter((o) => !usage.get(command)!.has(o) && ![...usage.values()].some((s) => s.has(o)));
    expect(unknown, 'in the row, an option of no command').toEqual([]);
  });
});

// The hosted session and its clone committer in Node: a real git server on loopback
// (git http-backend), the clone in LightningFS over an in-memory IndexedDB
// (fake-indexeddb), Node's Web Locks and BroadcastChannel, jsdom's window, document and
// localStorage. Chromium (tests/e2e/hosted.test.ts) keeps what only a browser shows.
import 'fake-indexeddb/auto';
import { JSDOM } from 'jsdom';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { HostedSession } from '../../src/client/hosted-session.ts';
import type { HostedConfig } from '../../src/lib/records/site-config.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { TOKEN, useGitServer } from '../helpers/git-server.ts';
import { LIMIT } from '../helpers/limits.ts';
import { fsck, git } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';

const dom = new JSDOM('', { url: 'http://127.0.0.1/' });
Object.assign(globalThis, { window: dom.window, document: dom.window.document, localStorage: dom.window.localStorage });
afterAll(() => dom.window.close());

const remote = useGitServer();
const config = (): HostedConfig => ({ remote: remote.url, branch: 'main', corsProxy: null, pushTo: 'branch', host: 'forgejo', pushIntervalSeconds: null });
/** The branch on the host, as git sees it. */
const onHost = (...args: string[]) => git(remote.bare, ...args);

describe('the hosted session in Node', () => {
  it('clones on sign-in, commits a decision in the clone, pushes it, and reads the kept index on the next visit', async () => {
    const first = await HostedSession.open(config(), ann, TOKEN);
    try {
      const session = await first.backend.session();
      expect(session.reviewer.email).toBe(ann.email);
      const { items } = await first.backend.queue(null, 2);
      const id = items[0]!.id;
      const decided = await first.backend.decide({ candidate_id: id, action: 'flag', corrected_response: null, failure_category: 'hallucination' }, 900);
      await first.push('now');
      expect(first.status()).toMatchObject({ waiting: 0, error: null });
      // On the host: the commit the clone made, by the reviewer, holding the correction at its path.
      expect(onHost('rev-parse', 'main')).toBe(decided.oid);
      expect(onHost('log', '-1', '--format=%an <%ae>|%s', 'main')).toBe(`${ann.name} <${ann.email}>|plover: flag ${id} [hallucination]`);
      expect(JSON.parse(onHost('show', `main:${correctionPath(id, ann.email)}`))).toMatchObject({ candidate_id: id, action: 'flag', duration_ms: 900 });
      expect(fsck(remote.bare).status).toBe(0);
      // The index is kept for the next visit in the background.
      await vi.waitFor(() => expect(performance.getEntriesByName('plover:index-kept')).not.toHaveLength(0), { timeout: LIMIT, interval: 50 });
    } finally {
      first.close();
    }
    // The next visits open the same clone: the decision is known and nothing waits. The
    // second reads what changed since the kept index (the decision's shard); the third,
    // with nothing new, the index as the second kept it.
    const reads = () => performance.getEntriesByName('plover:open').map((e) => (e as PerformanceMeasure).detail.read);
    for (const [visit, read] of [
      [2, 'changes'],
      [3, 'snapshot'],
    ] as const) {
      const next = await HostedSession.open(config(), ann, TOKEN);
      try {
        expect((await next.backend.session()).counts.flag).toBe(1);
        expect(next.status().waiting).toBe(0);
        expect(reads()).toHaveLength(visit);
        expect(reads().at(-1)).toBe(read);
        // The cards' texts are read from the clone's pack, from their lines' seek points, as the host's files hold them.
        const { items } = await next.backend.queue(null, 3);
        const lines = onHost('ls-tree', '--name-only', 'main', 'candidates/')
          .split('\n')
          .filter((f) => f.endsWith('.jsonl'))
          .flatMap((f) => onHost('show', `main:${f}`).split('\n'));
        const onHostById = new Map(lines.filter(Boolean).map((line) => [(JSON.parse(line) as { id: string }).id, JSON.parse(line) as unknown]));
        expect(items.length).toBeGreaterThan(0);
        expect(items.map((c) => onHostById.get(c.id))).toEqual(items);
        expect((performance.getEntriesByName('plover:texts').at(-1) as PerformanceMark).detail.from).toBe('pack');
        await vi.waitFor(() => expect(performance.getEntriesByName('plover:index-kept')).toHaveLength(visit), { timeout: LIMIT, interval: 50 });
      } finally {
        next.close();
      }
    }
  });

  it('commits on the next sign-in a decision a closed tab left in the journal, and pushes it once', async () => {
    const before = onHost('rev-parse', 'main');
    const opened = await HostedSession.open(config(), ann, TOKEN);
    const { items } = await opened.backend.queue(null, 1);
    const id = items[0]!.id;
    // A tab that wrote its journal and closed before the commit was stored.
    opened.journal.add({ candidate_id: id, action: 'discard', corrected_response: null, failure_category: null }, new Date(), 300);
    opened.close();
    const next = await HostedSession.open(config(), ann, TOKEN);
    try {
      await next.push('now');
      expect(onHost('rev-list', '--count', `${before}..main`)).toBe('1');
      expect(onHost('log', '-1', '--format=%s', 'main')).toBe(`plover: discard ${id}`);
      expect(next.journal.pending()).toBe(0);
      expect(fsck(remote.bare).status).toBe(0);
    } finally {
      next.close();
    }
  });

  it('undoes in the clone (the clone committer): the history lists the decision and its undo, and the host gets both commits', async () => {
    const before = onHost('rev-parse', 'main');
    const session = await HostedSession.open(config(), ann, TOKEN);
    try {
      const id = (await session.backend.queue(null, 1)).items[0]!.id;
      const decided = await session.backend.decide({ candidate_id: id, action: 'correct', corrected_response: 'Fixed.', failure_category: 'wrong_answer' }, 50);
      const undone = await session.backend.undo(id);
      expect(undone.undone).toMatchObject({ candidate_id: id, action: 'correct' });
      expect((await session.backend.history(id)).map((e) => [e.kind, e.commit])).toEqual([
        ['undo', undone.oid],
        ['decision', decided.oid],
      ]);
      expect((await session.backend.queue(null, 1)).items[0]!.id).toBe(id);
      await session.push('now');
      expect(onHost('log', '--format=%s', `${before}..main`).split('\n')).toEqual([`plover: undo correct ${id} [wrong_answer]`, `plover: correct ${id} [wrong_answer]`]);
      expect(onHost('ls-tree', '-r', '--name-only', 'main', correctionPath(id, ann.email))).toBe('');
      expect(fsck(remote.bare).status).toBe(0);
    } finally {
      session.close();
    }
  });
});

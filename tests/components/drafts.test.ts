// @vitest-environment jsdom
// Drafts are kept per place (git remote) and reviewer, and Sign out forgets a reviewer's at one place.
import { beforeEach, describe, expect, it } from 'vitest';
import { createDrafts, forgetDrafts, type DraftOwner } from '../../src/components/review/drafts.ts';

const ann = (place: string): DraftOwner => ({ place, email: 'Ann@Example.org' });
const bob: DraftOwner = { place: 'https://host/team/repo.git', email: 'bob@example.org' };

describe('drafts', () => {
  beforeEach(() => localStorage.clear());

  it('keeps a draft for one reviewer at one place: another place or another reviewer sees none', () => {
    const here = createDrafts(() => ann('https://host/team/repo.git'));
    here.keep('c1', 'half an answer', 'model answer');
    expect(here.get('c1')).toBe('half an answer');
    expect(createDrafts(() => ann('local')).get('c1')).toBeNull();
    expect(createDrafts(() => bob).get('c1')).toBeNull();
    expect(createDrafts(() => ({ ...ann('https://host/team/repo.git'), email: 'ann@example.org' })).get('c1')).toBe('half an answer');
    here.keep('c1', 'model answer', 'model answer');
    expect(here.get('c1')).toBeNull();
    expect(createDrafts(() => undefined).get('c1')).toBeNull();
  });

  it("forgets every draft of a reviewer at a place, those kept before drafts had a place too, and no one else's", () => {
    const place = 'https://host/team/repo.git';
    createDrafts(() => ann(place)).keep('c1', 'one', '');
    createDrafts(() => ann(place)).keep('c2', 'two', '');
    createDrafts(() => ann('local')).keep('c1', 'local one', '');
    createDrafts(() => bob).keep('c1', "Bob's", '');
    localStorage.setItem('plover.draft:ann%40example.org:c3', 'kept per reviewer alone');
    expect(createDrafts(() => ann(place)).get('c3')).toBe('kept per reviewer alone');

    expect(forgetDrafts(ann(place))).toBe(3);
    expect(createDrafts(() => ann(place)).get('c1')).toBeNull();
    expect(createDrafts(() => ann(place)).get('c3')).toBeNull();
    expect(createDrafts(() => ann('local')).get('c1')).toBe('local one');
    expect(createDrafts(() => bob).get('c1')).toBe("Bob's");
  });
});

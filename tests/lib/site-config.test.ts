import { describe, expect, it } from 'vitest';
import { reviewerTag } from '../../src/lib/records/paths.ts';
import { authUsername, destinationBranch, pullRequestUrl, pushIntervalMs, resolveSiteConfig } from '../../src/lib/records/site-config.ts';

const remote = 'https://git.example.org/team/labels.git';

describe('resolveSiteConfig', () => {
  it('is a local-only site without a remote', () => {
    expect(resolveSiteConfig({ remote: null, base: '/' }, {})).toEqual({ base: '/', hosted: null });
    expect(resolveSiteConfig(undefined, {})).toEqual({ base: '/', hosted: null });
  });

  it('takes the file, with the environment winning, and fills the defaults', () => {
    const config = resolveSiteConfig({ remote: 'https://old.example.org/x.git', branch: 'dev', base: '/a/' }, { PLOVER_REMOTE: `${remote}/`, PLOVER_BASE: '/plover/' });
    expect(config).toEqual({
      base: '/plover/',
      hosted: { remote, branch: 'dev', corsProxy: null, pushTo: 'review', host: 'forgejo', pushIntervalSeconds: null },
    });
    expect(resolveSiteConfig({}, { PLOVER_REMOTE: 'https://github.com/o/r.git', PLOVER_CORS_PROXY: 'https://proxy.example.org', PLOVER_PUSH_TO: 'branch' }).hosted).toEqual({
      remote: 'https://github.com/o/r.git',
      branch: 'main',
      corsProxy: 'https://proxy.example.org',
      pushTo: 'branch',
      host: 'github',
      pushIntervalSeconds: null,
    });
    expect(resolveSiteConfig({ remote, pushIntervalSeconds: 30 }, {}).hosted?.pushIntervalSeconds).toBe(30);
    expect(resolveSiteConfig({ remote, pushIntervalSeconds: 30 }, { PLOVER_PUSH_INTERVAL: '2.5' }).hosted?.pushIntervalSeconds).toBe(2.5);
    expect(resolveSiteConfig({ remote: 'https://gitlab.com/o/r.git' }, {}).hosted?.host).toBe('gitlab');
    expect(resolveSiteConfig({ remote, host: 'gitea' }, {}).hosted?.host).toBe('gitea');
  });

  it('names the setting and the fix for bad values', () => {
    const bad: [unknown, Record<string, string>, RegExp][] = [
      [[], {}, /plover\.config\.json: must hold a JSON object/],
      [{ remot: remote }, {}, /unknown setting "remot"/],
      [{ remote: 'https://ann:secret@git.example.org/x.git' }, {}, /plover\.config\.json: remote: .*must not contain credentials/],
      [{}, { PLOVER_REMOTE: 'git@host:x.git' }, /environment variable PLOVER_REMOTE: .*not a URL/],
      [{}, { PLOVER_REMOTE: 'ftp://host/x.git' }, /must be an http\(s\) URL/],
      [{ remote, branch: '../x' }, {}, /branch: "\.\.\/x" is not a branch name/],
      [{ remote, branch: 'a b' }, {}, /is not a branch name/],
      [{ remote, base: 'plover' }, {}, /base: base "plover" must start and end with "\/"/],
      [{ remote, pushTo: 'main' }, {}, /pushTo: must be "review"/],
      [{ remote, pushIntervalSeconds: 0 }, {}, /pushIntervalSeconds: must be a number of seconds, at least 1/],
      [{ remote, pushIntervalSeconds: '30' }, {}, /plover\.config\.json: pushIntervalSeconds: must be a number of seconds/],
      [{ remote }, { PLOVER_PUSH_INTERVAL: 'soon' }, /environment variable PLOVER_PUSH_INTERVAL: must be a number of seconds/],
      [{ remote, host: 'bitbucket' }, {}, /host: must be one of forgejo, gitea, github, gitlab/],
      [{ remote, branch: 3 }, {}, /branch: must be a string/],
    ];
    for (const [file, env, message] of bad) {
      expect(() => resolveSiteConfig(file, env), JSON.stringify([file, env])).toThrow(message);
    }
    // The message never repeats the credentials it refused.
    expect(() => resolveSiteConfig({ remote: 'https://ann:secret@git.example.org/x.git' }, {})).toThrow(/^(?!.*secret)/s);
  });
});

describe('where decisions go and how the host is asked', () => {
  const hosted = (patch: object = {}) => ({ ...resolveSiteConfig({ remote }, {}).hosted!, ...patch });

  it('pushes to a branch per reviewer, or to the target branch when so configured', () => {
    expect(destinationBranch(hosted(), 'Ann@Example.org')).toBe(`labels/${reviewerTag('ann@example.org')}`);
    expect(destinationBranch(hosted({ pushTo: 'branch', branch: 'labels' }), 'ann@example.org')).toBe('labels');
  });

  it('sends the user name each host expects with a token', () => {
    expect(authUsername('github')).toBe('x-access-token');
    expect(authUsername('gitlab')).toBe('oauth2');
    expect(authUsername('forgejo')).toBe('plover');
  });

  it('links to the pull request page of each host kind', () => {
    expect(pullRequestUrl(hosted(), 'labels/ann-1')).toBe('https://git.example.org/team/labels/compare/main...labels/ann-1');
    expect(pullRequestUrl(hosted({ host: 'github', remote: 'https://github.com/o/r.git' }), 'labels/ann-1')).toBe('https://github.com/o/r/compare/main...labels/ann-1?expand=1');
    expect(pullRequestUrl(hosted({ host: 'gitlab', remote: 'https://gitlab.com/o/r.git' }), 'labels/ann-1')).toBe(
      'https://gitlab.com/o/r/-/merge_requests/new?merge_request%5Bsource_branch%5D=labels%2Fann-1&merge_request%5Btarget_branch%5D=main',
    );
    expect(pullRequestUrl(hosted({ pushTo: 'branch' }), 'main')).toBeNull();
  });
});

describe('the push interval', () => {
  const hosted = (pushIntervalSeconds: number | null) => resolveSiteConfig({ remote: 'https://git.example.org/team/labels.git', pushIntervalSeconds }, {}).hosted!;
  it('is 10 s per team member by default, at least 10 s, so a team stays within 6 pushes a minute; or as configured', () => {
    expect([1, 2, 3, 6].map((n) => pushIntervalMs(hosted(null), n))).toEqual([10_000, 20_000, 30_000, 60_000]);
    for (const n of [1, 2, 3, 6]) expect(n * (60_000 / pushIntervalMs(hosted(null), n))).toBeLessThanOrEqual(6);
    expect(pushIntervalMs(hosted(null), 0)).toBe(10_000);
    expect(pushIntervalMs(hosted(3), 5)).toBe(3000);
  });
});

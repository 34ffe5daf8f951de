/**
 * The hosted site's settings: which git repository the page clones and pushes to. Read
 * at build time from `plover.config.json` and `PLOVER_*` environment variables
 * (node/site-config.ts), baked into the page; nothing secret is ever part of it.
 */
import { PloverError } from '../errors.ts';
import { reviewerTag } from './paths.ts';

export type GitHost = 'forgejo' | 'gitea' | 'github' | 'gitlab';
const HOSTS: GitHost[] = ['forgejo', 'gitea', 'github', 'gitlab'];

export interface HostedConfig {
  /** The repository's smart-HTTP URL (https://host/owner/repo.git), without credentials. */
  remote: string;
  /** The branch holding the candidates, into which label pull requests are merged. */
  branch: string;
  /** A CORS proxy in front of the host (`@isomorphic-git/cors-proxy`), or null. */
  corsProxy: string | null;
  /** `review`: each reviewer pushes to `labels/<reviewer>` and opens a pull request; `branch`: straight to `branch`. */
  pushTo: 'review' | 'branch';
  /** The kind of host: how the token is sent, and how a pull request is opened. */
  host: GitHost;
  /** At most one push per this many seconds per tab; null: 10 s per team member, at least 10 s (pushIntervalMs). */
  pushIntervalSeconds: number | null;
}

export interface SiteConfig {
  /** The path the site is served under, e.g. `/` or `/plover/`. */
  base: string;
  /** null: no remote configured (a site for the local label server only). */
  hosted: HostedConfig | null;
}

/** The repository's settings file: the hosted site's settings, `dataset` for the export's card, `team` (team.ts). */
export const SITE_CONFIG_FILE = 'plover.config.json';

/** The settings as written in plover.config.json (all optional). */
export interface SiteConfigFile {
  remote?: string | null;
  branch?: string;
  corsProxy?: string | null;
  base?: string;
  pushTo?: 'review' | 'branch';
  host?: GitHost | null;
  pushIntervalSeconds?: number | null;
}

/** Which environment variable sets which setting. */
export const SITE_CONFIG_ENV = {
  remote: 'PLOVER_REMOTE',
  branch: 'PLOVER_BRANCH',
  corsProxy: 'PLOVER_CORS_PROXY',
  base: 'PLOVER_BASE',
  pushTo: 'PLOVER_PUSH_TO',
  host: 'PLOVER_HOST',
  pushIntervalSeconds: 'PLOVER_PUSH_INTERVAL',
} as const;

const KEYS = Object.keys(SITE_CONFIG_ENV) as (keyof SiteConfigFile)[];

function fail(where: string, message: string): never {
  throw new PloverError('E_SITE_CONFIG', `${where}: ${message}`);
}

function httpUrl(value: string, where: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(where, `${what} ${JSON.stringify(value)} is not a URL; write it like https://git.example.org/team/labels.git`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(where, `${what} must be an http(s) URL, not ${url.protocol}`);
  if (url.username || url.password) {
    fail(where, `${what} must not contain credentials: the site is public; reviewers sign in with their own access token`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * The settings from the file's contents and the environment (which wins).
 * @throws PloverError `E_SITE_CONFIG` naming the file or variable, the setting and the fix.
 */
export function resolveSiteConfig(file: unknown, env: Record<string, string | undefined>, fileName = 'plover.config.json'): SiteConfig {
  if (file !== undefined && (typeof file !== 'object' || file === null || Array.isArray(file))) fail(fileName, 'must hold a JSON object');
  const fromFile = (file ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(fromFile)) {
    // `dataset` holds the export's dataset card settings (src/node/dataset-card.ts), `team` the team's split (team.ts), not the site's.
    if (key !== '$comment' && key !== 'dataset' && key !== 'team' && !KEYS.includes(key as keyof SiteConfigFile))
      fail(fileName, `unknown setting ${JSON.stringify(key)}; the settings are ${KEYS.join(', ')}`);
  }
  const get = (key: Exclude<keyof SiteConfigFile, 'pushIntervalSeconds'>): { value: string | null; where: string } => {
    const name = SITE_CONFIG_ENV[key];
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, where: `environment variable ${name}` };
    const v = fromFile[key];
    if (v === undefined || v === null) return { value: null, where: `${fileName}: ${key}` };
    if (typeof v !== 'string') fail(`${fileName}: ${key}`, 'must be a string');
    return { value: v, where: `${fileName}: ${key}` };
  };

  const base = get('base');
  const basePath = base.value ?? '/';
  if (!/^\/([A-Za-z0-9._~-]+\/)*$/.test(basePath)) fail(base.where, `base ${JSON.stringify(basePath)} must start and end with "/", e.g. "/" or "/plover/"`);

  const remote = get('remote');
  if (remote.value === null) return { base: basePath, hosted: null };
  const url = httpUrl(remote.value, remote.where, 'remote');

  const branch = get('branch');
  const branchName = branch.value ?? 'main';
  if (!/^[A-Za-z0-9._/-]+$/.test(branchName) || branchName.includes('..') || branchName.startsWith('/') || branchName.endsWith('/') || branchName.endsWith('.lock')) {
    fail(branch.where, `${JSON.stringify(branchName)} is not a branch name; e.g. "main"`);
  }
  const proxy = get('corsProxy');
  const pushTo = get('pushTo');
  if (pushTo.value !== null && pushTo.value !== 'review' && pushTo.value !== 'branch')
    fail(pushTo.where, 'must be "review" (a branch per reviewer, merged by pull request) or "branch" (straight to the target branch)');
  const host = get('host');
  if (host.value !== null && !HOSTS.includes(host.value as GitHost)) fail(host.where, `must be one of ${HOSTS.join(', ')}`);
  const envInterval = env[SITE_CONFIG_ENV.pushIntervalSeconds];
  const interval =
    envInterval !== undefined && envInterval !== ''
      ? { value: Number(envInterval), where: `environment variable ${SITE_CONFIG_ENV.pushIntervalSeconds}` }
      : { value: fromFile.pushIntervalSeconds ?? null, where: `${fileName}: pushIntervalSeconds` };
  if (interval.value !== null && (typeof interval.value !== 'number' || !Number.isFinite(interval.value) || interval.value < 1)) {
    fail(interval.where, 'must be a number of seconds, at least 1 (e.g. 30), or null for 10 s per team member');
  }
  return {
    base: basePath,
    hosted: {
      remote: url,
      branch: branchName,
      corsProxy: proxy.value === null ? null : httpUrl(proxy.value, proxy.where, 'corsProxy'),
      pushTo: (pushTo.value as HostedConfig['pushTo'] | null) ?? 'review',
      host: (host.value as GitHost | null) ?? guessHost(url),
      pushIntervalSeconds: interval.value as number | null,
    },
  };
}

/** github.com and gitlab.com are known by name; anything else is taken for Forgejo/Gitea. */
function guessHost(url: string): GitHost {
  const hostname = new URL(url).hostname;
  if (hostname === 'github.com') return 'github';
  if (hostname === 'gitlab.com' || hostname.startsWith('gitlab.')) return 'gitlab';
  return 'forgejo';
}

/**
 * How often a tab may push: the configured interval, or by default 10 s per team member
 * (at least 10 s), which keeps the team within GitHub's recommended 6 pushes a minute
 * for the repository.
 */
export function pushIntervalMs(config: HostedConfig, members: number): number {
  return (config.pushIntervalSeconds ?? Math.max(10, 10 * members)) * 1000;
}

/** The branch a reviewer's decisions are pushed to. */
export function destinationBranch(config: HostedConfig, email: string): string {
  return config.pushTo === 'branch' ? config.branch : `labels/${reviewerTag(email)}`;
}

/**
 * The HTTP Basic user name sent with the token: GitHub takes `x-access-token`, GitLab
 * `oauth2`; Forgejo and Gitea accept any name when the password is a token.
 */
export function authUsername(host: GitHost): string {
  return host === 'github' ? 'x-access-token' : host === 'gitlab' ? 'oauth2' : 'plover';
}

/** The host's page for opening a pull (merge) request from `dest` into the target branch, or null when pushing to it directly. */
export function pullRequestUrl(config: HostedConfig, dest: string): string | null {
  if (dest === config.branch) return null;
  const web = config.remote.replace(/\.git$/, '');
  const from = encodeURIComponent(dest).replace(/%2F/g, '/');
  const into = encodeURIComponent(config.branch).replace(/%2F/g, '/');
  switch (config.host) {
    case 'github':
      return `${web}/compare/${into}...${from}?expand=1`;
    case 'gitlab':
      return `${web}/-/merge_requests/new?${new URLSearchParams({ 'merge_request[source_branch]': dest, 'merge_request[target_branch]': config.branch })}`;
    default:
      return `${web}/compare/${into}...${from}`;
  }
}

/**
 * The hosted site: sign in (name, email, access token), then the same review page as the
 * local mode over a HostedSession, with a bar that says whether the git host answers,
 * how many decisions wait to be pushed, and where to open the pull request.
 *
 * The token is kept in sessionStorage (gone when the tab closes) and in memory; never in
 * localStorage, a commit, a log or an error message. Name and email are remembered in
 * localStorage so the form is filled next time.
 *
 * Sign out pushes what waits first; if decisions are still not on the host (offline, a
 * refused token) it says how many and asks. It forgets the token, the remembered name
 * and email and the reviewer's drafts, so the next person at a shared browser starts
 * clean; decisions not yet pushed stay in this browser, in the reviewer's own outbox, and
 * go at their next sign-in.
 */
import { createSignal, Match, onCleanup, Show, Switch, type Accessor } from 'solid-js';
import { HostedSession } from '../client/hosted-session.ts';
import { forgetDrafts } from './review/drafts.ts';
import { readStored, writeStored } from '../client/web-storage.ts';
import { checkReviewer } from '../lib/records/reviewer.ts';
import type { HostedConfig } from '../lib/records/site-config.ts';
import type { Reviewer } from '../lib/records/schema-types.generated.ts';
import { ReviewApp } from './ReviewApp.tsx';
import { StatsApp } from './StatsApp.tsx';

export interface HostedAppProps {
  config: HostedConfig;
  view?: 'review' | 'stats';
}

const IDENTITY_KEY = 'plover.identity';
const tokenKey = (config: HostedConfig) => `plover.token:${config.remote}`;

export function HostedApp(props: HostedAppProps) {
  const remembered = (() => {
    try {
      return JSON.parse(readStored('local', IDENTITY_KEY) ?? 'null') as Reviewer | null;
    } catch {
      return null;
    }
  })();
  const [name, setName] = createSignal(remembered?.name ?? '');
  const [email, setEmail] = createSignal(remembered?.email ?? '');
  const [token, setToken] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [progress, setProgress] = createSignal<string | null>(null);
  const [session, setSession] = createSignal<HostedSession | null>(null);
  /** Sign out is pushing first, or asks because this many decisions are not on the host: null when neither. */
  const [leaving, setLeaving] = createSignal<{ waiting: number | null } | null>(null);
  onCleanup(() => session()?.close());

  async function signIn(reviewer: Reviewer, secret: string) {
    setError(null);
    setProgress('Connecting to the git host…');
    try {
      const opened = await HostedSession.open(props.config, reviewer, secret, (text) => setProgress(text));
      writeStored('session', tokenKey(props.config), secret);
      writeStored('local', IDENTITY_KEY, JSON.stringify(reviewer));
      setToken('');
      setSession(opened);
    } catch (err) {
      writeStored('session', tokenKey(props.config), null);
      setError((err as Error).message);
    } finally {
      setProgress(null);
    }
  }

  function submit(e: SubmitEvent) {
    e.preventDefault();
    let reviewer: Reviewer;
    try {
      reviewer = checkReviewer({ name: name().trim(), email: email().trim() });
    } catch (err) {
      return setError((err as Error).message);
    }
    if (!token().trim()) return setError('Enter an access token that can read and write the repository.');
    void signIn(reviewer, token().trim());
  }

  async function signOut(anyway = false) {
    const s = session();
    if (!s) return;
    if (!anyway) {
      if (leaving()?.waiting === null) return; // already pushing before signing out
      setLeaving({ waiting: null });
      const waiting = await s.beforeSignOut();
      if (session() !== s) return;
      if (waiting > 0) return setLeaving({ waiting });
    }
    setLeaving(null);
    s.close();
    forgetDrafts({ place: props.config.remote, email: s.reviewer.email });
    writeStored('session', tokenKey(props.config), null);
    writeStored('local', IDENTITY_KEY, null);
    setName('');
    setEmail('');
    setSession(null);
  }

  // A reload in the same tab signs in again with the token kept for this tab.
  const saved = readStored('session', tokenKey(props.config));
  if (saved && remembered && typeof window !== 'undefined') queueMicrotask(() => void signIn(remembered, saved));

  return (
    <Show
      when={session()}
      fallback={<SignInForm config={props.config} fields={{ name, setName, email, setEmail, token, setToken }} progress={progress()} error={error()} onSubmit={submit} />}
    >
      {(s) => (
        <>
          <SyncBar session={s()} onSignOut={() => void signOut()} />
          <Show when={leaving()}>{(l) => <LeaveDialog waiting={l().waiting} onSignOut={() => void signOut(true)} onStay={() => setLeaving(null)} />}</Show>
          <Switch>
            <Match when={props.view === 'stats'}>
              <StatsApp backend={s().backend} />
            </Match>
            <Match when={true}>
              <ReviewApp backend={s().backend} journal={s().journal} place={props.config.remote} />
            </Match>
          </Switch>
        </>
      )}
    </Show>
  );
}

/** The sign-in form: name, email and access token. */
function SignInForm(props: {
  config: HostedConfig;
  fields: { name: Accessor<string>; setName(v: string): void; email: Accessor<string>; setEmail(v: string): void; token: Accessor<string>; setToken(v: string): void };
  progress: string | null;
  error: string | null;
  onSubmit: (e: SubmitEvent) => void;
}) {
  const f = props.fields;
  return (
    <form class="sign-in" aria-label="Sign in" onSubmit={props.onSubmit}>
      <h2>Sign in to label</h2>
      <p>
        Your decisions are commits on <code>{props.config.remote}</code>, pushed to{' '}
        {props.config.pushTo === 'review' ? 'your own review branch' : <code>{props.config.branch}</code>}.
      </p>
      <label>
        Name
        <input name="name" autocomplete="name" value={f.name()} onInput={(e) => f.setName(e.currentTarget.value)} required />
      </label>
      <label>
        Email
        <input name="email" type="email" autocomplete="email" value={f.email()} onInput={(e) => f.setEmail(e.currentTarget.value)} required />
      </label>
      <label>
        Access token
        <input name="token" type="password" autocomplete="off" value={f.token()} onInput={(e) => f.setToken(e.currentTarget.value)} required />
      </label>
      <p class="hint">Kept for this tab only, sent only to the git host; "Sign out" forgets it.</p>
      <button type="submit" disabled={props.progress !== null}>
        Sign in
      </button>
      <Show when={props.progress}>
        <p role="status">{props.progress}</p>
      </Show>
      <Show when={props.error}>
        <p role="alert" class="error">
          {props.error}
        </p>
      </Show>
    </form>
  );
}

/** Sign out pushing first (`waiting` null), or asking because `waiting` decisions are not on the host yet. */
function LeaveDialog(props: { waiting: number | null; onSignOut: () => void; onStay: () => void }) {
  return (
    <Show
      when={props.waiting !== null}
      fallback={
        <p role="status" class="leaving">
          Pushing your decisions before signing out…
        </p>
      }
    >
      <div role="alertdialog" aria-labelledby="leave-title" aria-describedby="leave-body" class="leaving">
        <p id="leave-title">
          <strong>
            {props.waiting} decision{props.waiting === 1 ? ' is' : 's are'} not on the git host yet.
          </strong>
        </p>
        <p id="leave-body">They stay in this browser and are pushed the next time you sign in here. Sign out anyway?</p>
        <button type="button" onClick={props.onSignOut}>
          Sign out anyway
        </button>{' '}
        <button type="button" ref={(b) => queueMicrotask(() => b.focus())} onClick={props.onStay}>
          Stay signed in
        </button>
      </div>
    </Show>
  );
}

function SyncBar(props: { session: HostedSession; onSignOut: () => void }) {
  const status = () => props.session.status();
  // A clock for "next push in N s", moved on only while a push waits for the interval.
  const [now, setNow] = createSignal(Date.now());
  const tick = setInterval(() => status().nextPush && setNow(Date.now()), 1000);
  onCleanup(() => clearInterval(tick));
  const nextIn = () => {
    const next = status().nextPush;
    return next ? Math.max(1, Math.ceil((next.getTime() - now()) / 1000)) : null;
  };
  return (
    <section class="sync-bar" aria-label="Sync">
      <span class="sync-state" data-testid="online" data-online={String(status().online)}>
        {status().online ? 'Online' : 'Offline'}
      </span>
      <span data-testid="waiting" data-waiting={String(status().waiting)}>
        {status().waiting === 0 ? 'All decisions pushed' : `${status().waiting} decision${status().waiting === 1 ? '' : 's'} waiting to be pushed`}
        {status().pushing ? ' · pushing…' : status().waiting > 0 && nextIn() !== null ? ` · next push in ${nextIn()} s` : ''}
      </span>
      <Show when={status().waiting > 0 && !status().pushing && !['E_AUTH', 'E_REFUSED', 'E_OUTBOX', 'E_RATE_LIMITED'].includes(status().errorCode ?? '')}>
        <button type="button" onClick={() => void props.session.push()}>
          Push now
        </button>
      </Show>
      <span>
        Branch <code>{props.session.dest}</code>
      </span>
      <Show when={props.session.pullRequestUrl}>
        <a href={props.session.pullRequestUrl!} target="_blank" rel="noopener noreferrer">
          Open a pull request
        </a>
      </Show>
      <button type="button" class="link" onClick={() => props.onSignOut()}>
        Sign out
      </button>
      <Show when={status().error}>
        <div role={status().errorCode === 'E_AUTH' || status().errorCode === 'E_REFUSED' ? 'alert' : 'status'} class="error" data-testid="sync-error">
          <Show when={status().errorCode === 'E_REFUSED'}>
            <strong>Refused by the host.</strong> Your decisions stay queued in this browser; deal with the host's reason, then Retry.{' '}
          </Show>
          <span class="sync-message">{status().error}</span>{' '}
          <Show when={status().errorCode !== 'E_AUTH' && status().errorCode !== 'E_RATE_LIMITED'}>
            <button type="button" onClick={() => props.session.retry()}>
              Retry
            </button>
          </Show>
        </div>
      </Show>
    </section>
  );
}

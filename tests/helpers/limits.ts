/**
 * The one limit on every wait in the suite: a test, a hook, a poll, a browser action or
 * a process start that has not seen what it waits for after this long fails. Tests wait
 * for events, never for a time, so the limit only decides how long a broken test takes
 * to fail; it is generous because CI runners are slow and shared. Set
 * PLOVER_TEST_LIMIT_SECONDS to change it.
 */
const seconds = Number(process.env.PLOVER_TEST_LIMIT_SECONDS ?? 600);
if (!(seconds > 0)) throw new Error(`PLOVER_TEST_LIMIT_SECONDS must be a positive number of seconds, not ${JSON.stringify(process.env.PLOVER_TEST_LIMIT_SECONDS)}`);

export const LIMIT = seconds * 1000;

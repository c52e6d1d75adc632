// The window's "recent problems" (src/host/recent-errors.ts) and the app's feed (src/main/recent-errors.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  REPEAT_WINDOW_MS,
  createRecentErrors,
  personBehindEmail,
  problemSentence,
  serverErrorSentence,
  setupRecentErrors,
} from '../../src/host/recent-errors.ts';
import type { ServerState } from '../../src/shared/server-state.ts';
import { SERVER_PROBLEM_KINDS } from '../../src/shared/server-process.ts';
import type { ServerProblem } from '../../src/shared/server-process.ts';

const problem = (p: Partial<ServerProblem>): ServerProblem => ({
  at: 0,
  kind: 'sync-failed',
  user: 'alice',
  method: 'meta',
  status: 500,
  detail: '',
  ...p,
});

describe('recent problems', () => {
  it('keeps the last 20, newest first, with their time', () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const recent = createRecentErrors({ now: () => now });
    for (let i = 0; i < 25; i++) {
      recent.add(`problem ${i}`);
      now += 1000;
    }
    const list = recent.list();
    assert.equal(list.length, 20);
    assert.deepEqual(list[0], { at: '2026-03-01T10:00:24.000Z', message: 'problem 24' });
    assert.equal(list.at(-1)!.message, 'problem 5');
  });

  it('counts a problem that repeats instead of filling the list with it', () => {
    let now = 0;
    const recent = createRecentErrors({ now: () => now });
    recent.add('A device could not log in.');
    now += 1000;
    recent.add('A device could not log in.');
    now += 1000;
    recent.add('A device could not log in.');
    assert.deepEqual(recent.list(), [{ at: new Date(2000).toISOString(), message: 'A device could not log in. (3 times)' }]);
    now += REPEAT_WINDOW_MS + 1;
    recent.add('A device could not log in.');
    assert.equal(recent.list().length, 2);
  });

  it('says every kind of server problem in plain words, without internals', () => {
    for (const kind of SERVER_PROBLEM_KINDS) {
      const sentence = problemSentence(problem({ kind, detail: kind === 'upload-refused' ? 'Your upload was corrupt.' : '' }));
      assert.match(sentence, /^[A-Z].*[.”]$/, kind);
      assert.doesNotMatch(sentence, /undefined|null|Error:/, kind);
    }
    assert.match(problemSentence(problem({ status: 500 })), /by alice failed because of a problem in Hearth \(error 500\)/);
    assert.match(problemSentence(problem({ status: 400, user: null })), /^A sync failed: Anki sent something/);
    assert.match(
      problemSentence(problem({ kind: 'upload-refused', detail: 'Your upload was corrupt.' })),
      /refused a full upload by alice/,
    );
    assert.match(problemSentence(problem({ kind: 'login-throttled', user: null, tried: 'bob' })), /Too many wrong passwords for “bob”/);
    assert.equal(
      problemSentence(problem({ kind: 'backup-skipped', user: 'anna', method: 'backup', status: 0, detail: String(300 * 1024 * 1024) })),
      "No backup of anna's cards was made today: the disk with the sync data is nearly full (300 MB free). Free some space on it.",
    );
  });

  it('says “use anna, not an email address” when a login tried an email whose first part is a person here', () => {
    const people = ['anna', 'Ben', 'carol@home'];
    const failed = (tried: string) =>
      problemSentence(problem({ kind: 'login-failed', user: null, method: 'hostKey', status: 403, tried }), people);
    assert.equal(
      failed('anna@gmail.com'),
      'A device tried to log in as “anna@gmail.com”: use “anna”, not an email address, as the username in Anki.',
    );
    // Case-insensitively, and the person's name as it is spelled here.
    assert.equal(
      failed('ben@Example.org'),
      'A device tried to log in as “ben@Example.org”: use “Ben”, not an email address, as the username in Anki.',
    );
    // Not an email, nobody by that first part, or a person whose username is that very address: the password was wrong.
    assert.equal(failed('anna'), 'A device could not log in as “anna”: the username or password was wrong.');
    assert.equal(failed('dora@gmail.com'), 'A device could not log in as “dora@gmail.com”: the username or password was wrong.');
    assert.equal(failed('carol@home'), 'A device could not log in as “carol@home”: the username or password was wrong.');
    assert.equal(failed('anna@localhost'), 'A device could not log in as “anna@localhost”: the username or password was wrong.');
    // Without the people, or without the name tried, the plain sentence.
    assert.match(
      problemSentence(problem({ kind: 'login-failed', user: null, tried: 'anna@gmail.com' })),
      /could not log in as “anna@gmail\.com”/,
    );
    assert.equal(
      problemSentence(problem({ kind: 'login-failed', user: null }), people),
      'A device could not log in: the username or password was wrong.',
    );
    assert.equal(personBehindEmail('ANNA@gmail.com', people), 'anna');
    assert.equal(personBehindEmail('anna@gmail.com', ['anna@gmail.com', 'anna']), undefined);
  });

  it('names the port or folder of a start failure', () => {
    assert.match(
      serverErrorSentence({ code: 'port-in-use', detail: 'port 8080 on 0.0.0.0' }),
      /using this port.*\(port 8080 on 0\.0\.0\.0\)$/,
    );
    assert.doesNotMatch(serverErrorSentence({ code: 'internal', detail: 'TypeError: x is undefined' }), /TypeError/);
  });

  it('hears the runner: a failed start once, and the server’s problems', () => {
    const states = new Set<(s: ServerState) => void>();
    const problems = new Set<(p: ServerProblem) => void>();
    const runner = {
      onChange: (l: (s: ServerState) => void) => (states.add(l), () => states.delete(l)),
      onProblem: (l: (p: ServerProblem) => void) => (problems.add(l), () => problems.delete(l)),
    };
    const state = (s: ServerState): void => states.forEach((l) => l(s));
    const feed = setupRecentErrors({ runner, now: () => 5000 });
    state({ kind: 'starting', attempt: 1 });
    state({ kind: 'crashed', error: { code: 'port-in-use', detail: 'port 8080 on 0.0.0.0' }, retryAt: null });
    state({ kind: 'crashed', error: { code: 'port-in-use', detail: 'port 8080 on 0.0.0.0' }, retryAt: null });
    problems.forEach((l) => l(problem({ kind: 'login-failed', user: null, method: 'hostKey', status: 403, at: 6000 })));
    const list = feed.list();
    assert.equal(list.length, 2);
    assert.match(list[0]!.message, /could not log in/);
    assert.match(list[1]!.message, /^The sync server could not start\. Another program is already using this port/);
  });

  it('asks the host for the people only after a failed login, and survives a failure to read them', () => {
    const problems = new Set<(p: ServerProblem) => void>();
    const runner = {
      onChange: () => () => undefined,
      onProblem: (l: (p: ServerProblem) => void) => (problems.add(l), () => problems.delete(l)),
    };
    let asked = 0;
    let broken = false;
    const feed = setupRecentErrors({
      runner,
      now: () => 0,
      usernames: () => {
        asked++;
        if (broken) throw new Error('accounts.json unreadable');
        return ['anna'];
      },
    });
    const send = (p: Partial<ServerProblem>): void => problems.forEach((l) => l(problem(p)));
    send({ kind: 'sync-failed', status: 500 });
    assert.equal(asked, 0);
    send({ kind: 'login-failed', user: null, method: 'hostKey', status: 403, tried: 'Anna@example.com' });
    assert.equal(asked, 1);
    assert.equal(
      feed.list()[0]!.message,
      'A device tried to log in as “Anna@example.com”: use “anna”, not an email address, as the username in Anki.',
    );
    broken = true;
    send({ kind: 'login-failed', user: null, method: 'hostKey', status: 403, tried: 'anna@example.org', at: 1 });
    assert.equal(feed.list()[0]!.message, 'A device could not log in as “anna@example.org”: the username or password was wrong.');
  });
});

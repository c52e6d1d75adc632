// How the window finds its HearthApi (src/renderer/api-client.ts): the token is taken out of the
// address, and every failure of the HTTP adapter is one sentence a person can act on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { API_PROBLEMS, ApiError, httpApi, problemSentence, takeToken } from '../../src/renderer/api-client.ts';

type Reply = { status: number; body: unknown } | Error;

function fakeFetch(reply: Reply, seen: { url: string; init: { headers: Record<string, string>; body: string } }[] = []) {
  return async (url: string, init: { method: string; headers: Record<string, string>; body: string }) => {
    seen.push({ url, init });
    if (reply instanceof Error) throw reply;
    return { status: reply.status, json: async () => reply.body };
  };
}

describe('api-client', () => {
  it('takes the token out of the address and keeps it for the tab', () => {
    const stored = new Map<string, string>();
    const storage = { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v) };
    const replaced: string[] = [];
    const history = { replaceState: (_d: unknown, _u: string, url: string) => void replaced.push(url) };
    const token = takeToken({ hash: '#token=abc_DEF-1', pathname: '/', search: '' }, history, storage);
    assert.equal(token, 'abc_DEF-1');
    assert.deepEqual(replaced, ['/']);
    // After a reload the address has no token; the tab still has it.
    assert.equal(takeToken({ hash: '', pathname: '/', search: '' }, history, storage), 'abc_DEF-1');
    assert.equal(takeToken({ hash: '', pathname: '/', search: '' }, history, null), null);
  });

  it('calls POST /api/<method> with the arguments and the token', async () => {
    const seen: { url: string; init: { headers: Record<string, string>; body: string } }[] = [];
    const api = httpApi({
      baseUrl: 'http://127.0.0.1:5000',
      token: 't0k',
      fetch: fakeFetch({ status: 200, body: { result: { ok: true } } }, seen),
    });
    assert.deepEqual(await api.addPerson('anna', 'long password'), { ok: true });
    assert.equal(seen[0]!.url, 'http://127.0.0.1:5000/api/addPerson');
    assert.equal(seen[0]!.init.headers.authorization, 'Bearer t0k');
    assert.deepEqual(JSON.parse(seen[0]!.init.body), ['anna', 'long password']);
  });

  it('turns every failure into a sentence', async () => {
    const call = (reply: Reply) => httpApi({ baseUrl: 'http://127.0.0.1:5000', token: 't', fetch: fakeFetch(reply) }).getStatus();
    await assert.rejects(
      call(new TypeError('Failed to fetch')),
      (e: unknown) => e instanceof ApiError && e.message === API_PROBLEMS.unreachable,
    );
    await assert.rejects(call({ status: 401, body: { error: 'x' } }), { message: API_PROBLEMS.unauthorized });
    await assert.rejects(call({ status: 403, body: { error: 'wrong host' } }), { message: API_PROBLEMS.unauthorized });
    await assert.rejects(call({ status: 400, body: { error: 'invalid arguments for getStatus' } }), {
      message: API_PROBLEMS.misunderstood,
    });
    await assert.rejects(call({ status: 500, body: { error: 'internal error' } }), { message: API_PROBLEMS.failed });
  });

  it('shows what the app’s main process threw without Electron’s wrapping', () => {
    assert.equal(
      problemSentence(new Error("Error invoking remote method 'hearth:addPerson': Error: Hearth could not do that.")),
      'Hearth could not do that.',
    );
    assert.equal(problemSentence(new ApiError('A sentence.')), 'A sentence.');
    assert.equal(problemSentence(undefined), API_PROBLEMS.failed);
  });
});

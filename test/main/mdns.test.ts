// mDNS advertising and discovery (src/main/mdns.ts) with a fake bonjour: no packet leaves the machine.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createMdns, localHostName, setupMdnsAdvertising } from '../../src/main/mdns.ts';
import type { BonjourBrowser, BonjourLike, BonjourService } from '../../src/main/mdns.ts';
import type { ServerState } from '../../src/shared/server-state.ts';
import { IDLE_ACTIVITY } from '../../src/shared/server-process.ts';
import { silentLogger } from '../../src/server/logger.ts';

class FakeService extends EventEmitter implements BonjourService {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly txt: Record<string, string> | undefined;
  stopped = false;
  constructor(o: { name: string; host?: string; port: number; txt?: Record<string, string> }) {
    super();
    this.name = o.name;
    this.host = o.host ?? 'x';
    this.port = o.port;
    this.txt = o.txt;
  }
  stop = (callback?: () => void): void => {
    this.stopped = true;
    setImmediate(() => callback?.());
  };
}

class FakeBrowser extends EventEmitter implements BonjourBrowser {
  stopped = false;
  stop(): void {
    this.stopped = true;
  }
}

function fakeBonjour() {
  const published: { options: Parameters<BonjourLike['publish']>[0]; service: FakeService }[] = [];
  const browsers: { type: string; browser: FakeBrowser }[] = [];
  let destroyed = false;
  const bonjour: BonjourLike = {
    publish(options) {
      const service = new FakeService(options);
      published.push({ options, service });
      return service;
    },
    find(options) {
      const browser = new FakeBrowser();
      browsers.push({ type: options.type, browser });
      return browser;
    },
    destroy(callback) {
      destroyed = true;
      callback?.();
    },
  };
  return { bonjour, published, browsers, destroyed: () => destroyed };
}

const make = (bonjour: BonjourLike) =>
  createMdns({ bonjour, osHostname: 'FAMILY-PC', instanceId: 'me-123', appVersion: '0.1.0', logger: silentLogger });

describe('mDNS', () => {
  it('makes a .local name from the OS host name', () => {
    assert.equal(localHostName('FAMILY-PC'), 'family-pc.local');
    assert.equal(localHostName('Annas-iMac.local'), 'annas-imac.local');
    assert.equal(localHostName('büro pc.fritz.box'), 'buro-pc.local');
    assert.equal(localHostName('___'), 'hearth.local');
  });

  it('advertises a _hearth._tcp service with a txt record, and stops it', async () => {
    const fake = fakeBonjour();
    const mdns = make(fake.bonjour);
    assert.equal(mdns.localUrl(), null);
    mdns.advertise(8080);
    assert.equal(fake.published.length, 1);
    assert.deepEqual(fake.published[0]!.options, {
      name: 'Hearth on family-pc',
      type: 'hearth',
      port: 8080,
      host: 'family-pc.local',
      txt: { id: 'me-123', path: '/', version: '0.1.0' },
    });
    assert.equal(mdns.localUrl(), 'http://family-pc.local:8080/');
    mdns.advertise(8080); // same port: nothing new
    assert.equal(fake.published.length, 1);

    await mdns.stopAdvertising();
    assert.equal(fake.published[0]!.service.stopped, true);
    assert.equal(mdns.localUrl(), null);
  });

  it('re-advertises on a new port, and survives a service error', () => {
    const fake = fakeBonjour();
    const mdns = make(fake.bonjour);
    mdns.advertise(8080);
    mdns.advertise(9090);
    assert.equal(fake.published[0]!.service.stopped, true);
    assert.equal(fake.published[1]!.options.port, 9090);
    fake.published[1]!.service.emit('error', new Error('name conflict')); // must not throw
  });

  it('notices other Hearths on the network, but not itself', () => {
    const fake = fakeBonjour();
    const mdns = make(fake.bonjour);
    assert.equal(fake.browsers[0]!.type, 'hearth');
    let changes = 0;
    mdns.onOtherHearthsChange(() => changes++);
    const browser = fake.browsers[0]!.browser;
    browser.emit('up', new FakeService({ name: 'Hearth on family-pc', host: 'family-pc.local', port: 8080, txt: { id: 'me-123' } }));
    assert.deepEqual(mdns.otherHearths(), []);
    const other = new FakeService({ name: 'Hearth on laptop', host: 'laptop.local', port: 8080, txt: { id: 'other' } });
    browser.emit('up', other);
    assert.deepEqual(mdns.otherHearths(), [{ name: 'Hearth on laptop', host: 'laptop.local', port: 8080 }]);
    browser.emit('down', other);
    assert.deepEqual(mdns.otherHearths(), []);
    assert.equal(changes, 2);
  });

  it('close() stops browsing and advertising and releases the socket', async () => {
    const fake = fakeBonjour();
    const mdns = make(fake.bonjour);
    mdns.advertise(8080);
    await mdns.close();
    assert.equal(fake.browsers[0]!.browser.stopped, true);
    assert.equal(fake.published[0]!.service.stopped, true);
    assert.equal(fake.destroyed(), true);
  });

  it('advertises while the server runs for the network, and stops when it stops', async () => {
    const fake = fakeBonjour();
    const mdns = make(fake.bonjour);
    let listener: (s: ServerState) => void = () => {};
    let scope: 'lan' | 'this-pc' = 'lan';
    setupMdnsAdvertising({ mdns, onServerChange: (l) => (listener = l), listenScope: () => scope });
    listener({ kind: 'starting', attempt: 1 });
    assert.equal(fake.published.length, 0);
    listener({ kind: 'running', host: '0.0.0.0', port: 8080, activity: IDLE_ACTIVITY });
    assert.equal(mdns.localUrl(), 'http://family-pc.local:8080/');
    listener({ kind: 'stopping', activity: IDLE_ACTIVITY });
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.published[0]!.service.stopped, true);
    scope = 'this-pc';
    listener({ kind: 'running', host: '127.0.0.1', port: 8080, activity: IDLE_ACTIVITY });
    assert.equal(fake.published.length, 1, 'not advertised when only this PC may connect');
  });
});

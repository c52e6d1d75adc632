// Ranking this PC's addresses for Anki's sync URL (src/main/lan-addresses.ts), on interface
// lists shaped like os.networkInterfaces() on real Windows, macOS and Linux machines.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPrivateIPv4, isVirtualAdapter, rankLanAddresses } from '../../src/host/lan-addresses.ts';
import type { InterfaceAddress, NetworkInterfaces } from '../../src/host/lan-addresses.ts';

const v4 = (address: string, internal = false): InterfaceAddress => ({ address, family: 'IPv4', internal });
const v6 = (address: string, internal = false): InterfaceAddress => ({ address, family: 'IPv6', internal });

const WINDOWS: NetworkInterfaces = {
  'vEthernet (WSL (Hyper-V firewall))': [v6('fe80::1c2d:3e4f:5a6b:7c8d'), v4('172.28.160.1')],
  'VirtualBox Host-Only Network': [v6('fe80::a1b2:c3d4:e5f6:1'), v4('192.168.56.1')],
  'VMware Network Adapter VMnet8': [v4('192.168.150.1')],
  Ethernet: [v6('fe80::5:6:7:8'), v4('169.254.12.34')], // cable unplugged: link-local only
  'Wi-Fi': [v6('2a02:8108:1:2::5'), v6('fe80::9:a:b:c'), v4('192.168.178.23')],
  'Bluetooth Network Connection': [v4('169.254.99.1')],
  Tailscale: [v4('100.101.102.103'), v6('fd7a:115c:a1e0::1')],
  'Loopback Pseudo-Interface 1': [v6('::1', true), v4('127.0.0.1', true)],
};

const MACOS: NetworkInterfaces = {
  lo0: [v4('127.0.0.1', true), v6('::1', true), v6('fe80::1', true)],
  anpi0: [v6('fe80::8c1:2ff:fe3:4')],
  en0: [v6('fe80::1cb4:5f6a:7b8c:9d0e'), v4('192.168.1.42')],
  awdl0: [v6('fe80::a0de:1ff:fe2:3')],
  llw0: [v6('fe80::a0de:1ff:fe2:3')],
  utun0: [v6('fe80::c3a7:1b2c:3d4e:5f6a')],
  utun4: [v4('10.8.0.6')], // a corporate VPN
  bridge100: [v4('192.168.64.1')], // a local VM network
};

const LINUX: NetworkInterfaces = {
  lo: [v4('127.0.0.1', true), v6('::1', true)],
  enp3s0: [v4('10.0.0.15'), v6('fe80::2e0:4cff:fe68:1')],
  wlp2s0: [v4('192.168.0.104')],
  docker0: [v4('172.17.0.1')],
  'br-5f3c2a1b9d8e': [v4('172.18.0.1')],
  veth8a1b2c3: [v6('fe80::1')],
  virbr0: [v4('192.168.122.1')],
  tailscale0: [v4('100.64.1.2')],
  wg0: [v4('10.66.66.2')],
  tun0: [v4('10.9.0.2')],
  vboxnet0: [v4('192.168.57.1')],
};

describe('LAN address ranking', () => {
  it('Windows: the Wi-Fi address, not WSL, VirtualBox, VMware, Tailscale or link-local', () => {
    const ranked = rankLanAddresses(WINDOWS, 8080);
    assert.deepEqual(ranked, [{ address: '192.168.178.23', interfaceName: 'Wi-Fi', kind: 'lan', url: 'http://192.168.178.23:8080/' }]);
  });

  it('macOS: en0 first; VPN tunnels and VM bridges left out', () => {
    const ranked = rankLanAddresses(MACOS, 8080);
    assert.deepEqual(
      ranked.map((r) => r.url),
      ['http://192.168.1.42:8080/'],
    );
  });

  it('Linux: Wi-Fi (192.168) before Ethernet (10.x), no Docker, libvirt, WireGuard or VPN', () => {
    const ranked = rankLanAddresses(LINUX, 27701);
    assert.deepEqual(
      ranked.map((r) => [r.interfaceName, r.url]),
      [
        ['wlp2s0', 'http://192.168.0.104:27701/'],
        ['enp3s0', 'http://10.0.0.15:27701/'],
      ],
    );
  });

  it('lists virtual adapters last when asked', () => {
    const ranked = rankLanAddresses(LINUX, 8080, { includeVirtual: true });
    assert.deepEqual(
      ranked.slice(0, 2).map((r) => r.interfaceName),
      ['wlp2s0', 'enp3s0'],
    );
    assert.ok(ranked.slice(2).every((r) => r.kind === 'virtual'));
    assert.ok(ranked.some((r) => r.interfaceName === 'docker0'));
    assert.ok(!ranked.some((r) => r.address === '127.0.0.1'), 'never loopback');
  });

  it('puts private addresses on unfamiliar adapter names after Wi-Fi/Ethernet, and public ones after those', () => {
    const ranked = rankLanAddresses({ br0: [v4('192.168.1.5')], eth0: [v4('203.0.113.7')], eth1: [v4('192.168.1.6')] }, 8080);
    assert.deepEqual(
      ranked.map((r) => [r.interfaceName, r.kind]),
      [
        ['eth1', 'lan'],
        ['br0', 'lan'],
        ['eth0', 'other'],
      ],
    );
  });

  it('gives the exact sync URL with the trailing slash, and no duplicates', () => {
    const ranked = rankLanAddresses({ eth0: [v4('192.168.1.5')], 'eth0:1': [v4('192.168.1.5')] }, 8080);
    assert.deepEqual(
      ranked.map((r) => r.url),
      ['http://192.168.1.5:8080/'],
    );
  });

  it('returns nothing when there is no network (only loopback and link-local)', () => {
    assert.deepEqual(rankLanAddresses({ lo: [v4('127.0.0.1', true)], eth0: [v4('169.254.3.4')], wlan0: undefined }, 8080), []);
  });

  it('classifies addresses and adapters', () => {
    for (const a of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1']) assert.equal(isPrivateIPv4(a), true, a);
    for (const a of ['172.32.0.1', '100.64.0.1', '8.8.8.8', '192.169.0.1', 'fe80::1', '300.1.1.1'])
      assert.equal(isPrivateIPv4(a), false, a);
    for (const n of ['docker0', 'vEthernet (Default Switch)', 'utun3', 'wg0', 'VirtualBox Host-Only Network #2', 'lo0', 'ztr2qsmswx']) {
      assert.equal(isVirtualAdapter(n), true, n);
    }
    for (const n of ['Wi-Fi', 'Ethernet 2', 'en0', 'eth0', 'wlp2s0', 'enp0s31f6', 'Local Area Connection'])
      assert.equal(isVirtualAdapter(n), false, n);
  });
});

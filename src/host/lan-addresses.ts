/**
 * Which address of this PC to show for Anki's "sync server" setting. Pure: takes what
 * `os.networkInterfaces()` returns, gives the addresses best first, each with the exact URL to
 * type (`http://ADDR:PORT/`, trailing slash included, as Anki expects).
 *
 * A home PC often has more adapters than the one the family's phones can reach: Docker, WSL and
 * Hyper-V switches, VirtualBox and VMware host-only networks, VPNs (WireGuard, Tailscale,
 * ZeroTier, OpenVPN's TAP), macOS's AirDrop (awdl) and tunnels (utun). Their addresses look
 * private too, so the adapter's name decides: private IPv4 on Wi-Fi/Ethernet first, then other
 * reachable addresses, virtual adapters last (or left out), never loopback or link-local.
 */

/** The fields of os.NetworkInterfaceInfo used here (a structural subset, so fixtures stay small). */
export interface InterfaceAddress {
  readonly address: string;
  readonly family: 'IPv4' | 'IPv6' | string | number;
  readonly internal: boolean;
}

export type NetworkInterfaces = Readonly<Record<string, readonly InterfaceAddress[] | undefined>>;

export type AddressKind = 'lan' | 'other' | 'virtual';

export interface RankedAddress {
  readonly address: string;
  readonly interfaceName: string;
  readonly kind: AddressKind;
  /** `http://192.168.1.20:8080/` */
  readonly url: string;
}

/**
 * Adapter names of virtual networks and VPNs on Linux, macOS and Windows. Matched at the start of
 * the name for Unix-style names (docker0, veth1a2b, utun3) and anywhere for Windows' descriptive
 * names ("vEthernet (WSL)", "VirtualBox Host-Only Network").
 */
const VIRTUAL_PREFIX =
  /^(lo\d*$|lo:|docker|br-|veth|virbr|vmnet|vboxnet|vnic|utun|tun|tap|wg|zt|tailscale|ham|ipsec|ppp|gif|stf|awdl|llw|anpi|bridge|podman|cni|flannel|cali|vxlan|kube|lxcbr|lxdbr|incusbr|nordlynx|proton|mullvad)/i;
const VIRTUAL_ANYWHERE =
  /(virtualbox|vethernet|hyper-v|vmware|loopback|pseudo-interface|tailscale|zerotier|wireguard|openvpn|tap-windows|nordvpn|expressvpn|protonvpn|hamachi|npcap|bluetooth|wsl)/i;

const WIRED_OR_WIFI =
  /^(eth\d|en[ops]\d|eno\d|ens\d|enx|em\d|wlan|wlp|wlx|wl\d|en\d+$|ethernet|wi-?fi|wlan|wireless|local area connection(?!\*))/i;

export function isVirtualAdapter(name: string): boolean {
  return VIRTUAL_PREFIX.test(name) || VIRTUAL_ANYWHERE.test(name);
}

function octets(address: string): [number, number, number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/** RFC 1918: 10/8, 172.16/12, 192.168/16. */
export function isPrivateIPv4(address: string): boolean {
  const o = octets(address);
  if (!o) return false;
  return o[0] === 10 || (o[0] === 172 && o[1] >= 16 && o[1] <= 31) || (o[0] === 192 && o[1] === 168);
}

function isUnusable(address: string): boolean {
  const o = octets(address);
  // loopback, link-local (no DHCP answer), "this network", multicast and above
  return !o || o[0] === 127 || (o[0] === 169 && o[1] === 254) || o[0] === 0 || o[0] >= 224;
}

/** Home routers hand out 192.168.x.x most often; 172.16/12 is where Docker, WSL and Hyper-V live. */
function privateRangeOrder(address: string): number {
  if (address.startsWith('192.168.')) return 0;
  if (address.startsWith('10.')) return 1;
  return 2;
}

export function syncUrl(address: string, port: number): string {
  return `http://${address}:${port}/`;
}

export interface RankOptions {
  /** Keep VPN and VM adapters (at the end) instead of leaving them out. */
  readonly includeVirtual?: boolean;
}

export function rankLanAddresses(interfaces: NetworkInterfaces, port: number, options: RankOptions = {}): RankedAddress[] {
  const candidates: { ranked: RankedAddress; tier: number; range: number; order: number }[] = [];
  let order = 0;
  for (const [name, addresses] of Object.entries(interfaces)) {
    for (const a of addresses ?? []) {
      order++;
      // Node < 18.4 reported family as a number; Anki's URL field takes IPv4 most reliably.
      if (a.internal || (a.family !== 'IPv4' && a.family !== 4) || isUnusable(a.address)) continue;
      const virtual = isVirtualAdapter(name);
      if (virtual && !options.includeVirtual) continue;
      const isPrivate = isPrivateIPv4(a.address);
      const known = WIRED_OR_WIFI.test(name);
      const kind: AddressKind = virtual ? 'virtual' : isPrivate ? 'lan' : 'other';
      // 0: private on Wi-Fi/Ethernet; 1: private on an adapter with an unfamiliar name;
      // 2: public or carrier-grade NAT (reachable, but rarely what phones at home use); 3: virtual.
      const tier = virtual ? 3 : isPrivate ? (known ? 0 : 1) : 2;
      candidates.push({
        ranked: { address: a.address, interfaceName: name, kind, url: syncUrl(a.address, port) },
        tier,
        range: isPrivate ? privateRangeOrder(a.address) : 3,
        order,
      });
    }
  }
  candidates.sort((x, y) => x.tier - y.tier || x.range - y.range || x.order - y.order);
  const seen = new Set<string>();
  return candidates.filter((c) => !seen.has(c.ranked.address) && seen.add(c.ranked.address)).map((c) => c.ranked);
}

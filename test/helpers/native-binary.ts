/**
 * Reads what a native library is for from its own headers: the file format (ELF, PE, Mach-O),
 * hence the system; the CPU; and the names of the functions it exports. Enough to check that an
 * installer carries, for each target, libraries that target's loader will accept, without
 * having that system at hand. 64-bit little-endian files only (all six targets).
 */
import { readFileSync } from 'node:fs';

export interface NativeBinary {
  readonly format: 'elf' | 'pe' | 'macho';
  /** As Node names them: linux / win32 / darwin. */
  readonly platform: 'linux' | 'win32' | 'darwin';
  readonly arch: 'x64' | 'arm64' | `unknown (${number})`;
  /** Exported (defined, global) symbol names, without Mach-O's leading underscore. */
  readonly exports: readonly string[];
}

const cString = (b: Buffer, at: number): string => b.toString('latin1', at, b.indexOf(0, at));

function readElf(b: Buffer): NativeBinary {
  if (b[4] !== 2 || b[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
  const machine = b.readUInt16LE(0x12);
  const arch = machine === 62 ? 'x64' : machine === 183 ? 'arm64' : (`unknown (${machine})` as const);
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      type: b.readUInt32LE(at + 4),
      offset: Number(b.readBigUInt64LE(at + 0x18)),
      size: Number(b.readBigUInt64LE(at + 0x20)),
      link: b.readUInt32LE(at + 0x28),
    };
  };
  const exports: string[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== 11) continue; // SHT_DYNSYM: what the dynamic loader sees
    const strings = section(s.link);
    for (let at = s.offset; at + 24 <= s.offset + s.size; at += 24) {
      const info = b[at + 4]!;
      const shndx = b.readUInt16LE(at + 6);
      const binding = info >> 4;
      if (shndx !== 0 && (binding === 1 || binding === 2)) exports.push(cString(b, strings.offset + b.readUInt32LE(at)));
    }
  }
  return { format: 'elf', platform: 'linux', arch, exports };
}

function readPe(b: Buffer): NativeBinary {
  const pe = b.readUInt32LE(0x3c);
  if (b.readUInt32LE(pe) !== 0x4550) throw new Error('no PE signature');
  const machine = b.readUInt16LE(pe + 4);
  const arch = machine === 0x8664 ? 'x64' : machine === 0xaa64 ? 'arm64' : (`unknown (${machine})` as const);
  const sections = b.readUInt16LE(pe + 6);
  const optional = pe + 24;
  if (b.readUInt16LE(optional) !== 0x20b) throw new Error('not a PE32+ (64-bit) file');
  const exportRva = b.readUInt32LE(optional + 112);
  const table = optional + b.readUInt16LE(pe + 20);
  const toOffset = (rva: number): number => {
    for (let i = 0; i < sections; i++) {
      const at = table + i * 40;
      const va = b.readUInt32LE(at + 12);
      const size = Math.max(b.readUInt32LE(at + 8), b.readUInt32LE(at + 16));
      if (rva >= va && rva < va + size) return rva - va + b.readUInt32LE(at + 20);
    }
    throw new Error(`RVA ${rva} is in no section`);
  };
  const exports: string[] = [];
  if (exportRva !== 0) {
    const dir = toOffset(exportRva);
    const count = b.readUInt32LE(dir + 24);
    const names = toOffset(b.readUInt32LE(dir + 32));
    for (let i = 0; i < count; i++) exports.push(cString(b, toOffset(b.readUInt32LE(names + 4 * i))));
  }
  return { format: 'pe', platform: 'win32', arch, exports };
}

function readMachO(b: Buffer): NativeBinary {
  const cpu = b.readUInt32LE(4);
  const arch = cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : (`unknown (${cpu})` as const);
  const commands = b.readUInt32LE(16);
  const exports: string[] = [];
  for (let i = 0, at = 32; i < commands; i++) {
    const cmd = b.readUInt32LE(at);
    if (cmd === 0x2) {
      // LC_SYMTAB: external (N_EXT) symbols defined in a section (N_SECT).
      const [symoff, nsyms, stroff] = [b.readUInt32LE(at + 8), b.readUInt32LE(at + 12), b.readUInt32LE(at + 16)];
      for (let s = 0; s < nsyms; s++) {
        const entry = symoff + s * 16;
        const type = b[entry + 4]!;
        if ((type & 0x01) !== 0 && (type & 0x0e) === 0x0e) exports.push(cString(b, stroff + b.readUInt32LE(entry)).replace(/^_/, ''));
      }
    }
    at += b.readUInt32LE(at + 4);
  }
  return { format: 'macho', platform: 'darwin', arch, exports };
}

export function readNativeBinary(path: string): NativeBinary {
  const b = readFileSync(path);
  if (b.readUInt32BE(0) === 0x7f454c46) return readElf(b);
  if (b.readUInt16BE(0) === 0x4d5a) return readPe(b);
  if (b.readUInt32LE(0) === 0xfeedfacf) return readMachO(b);
  throw new Error(`${path} is not an ELF, PE or 64-bit Mach-O file`);
}

/**
 * Linux: this process's real sockets, from the kernel. `/proc/self/fd/N` links of the form `socket:[INODE]` name the
 * sockets the process holds; `/proc/self/net/{tcp,tcp6,udp,udp6}` (what `/proc/net/*` links to: this process's
 * network namespace) list every socket of the namespace with its inode, so joining the two gives ours.
 *
 * The tables' format (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c, net/ipv4/udp.c): addresses are hex of the raw
 * in-memory words — an IPv4 address is one 32-bit word printed with %08X in HOST byte order (127.0.0.1 is 0100007F on
 * little-endian machines), an IPv6 address four such words; ports are plain hex numbers. The parser is strict: a line
 * that does not have the expected shape is an error, not a guess.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { endianness } from 'node:os';
import { NetError } from './errors';

export type ProcTable = 'tcp' | 'tcp6' | 'udp' | 'udp6';
export const PROC_TABLES: readonly ProcTable[] = ['tcp', 'tcp6', 'udp', 'udp6'];

export interface Endpoint {
  /** Dotted IPv4, or RFC 5952 IPv6 text; a v4-mapped address is shown as ::ffff:a.b.c.d. */
  address: string;
  port: number;
}

export interface ProcSocket {
  table: ProcTable;
  protocol: 'tcp' | 'udp';
  family: 4 | 6;
  local: Endpoint;
  remote: Endpoint;
  /** ESTABLISHED, LISTEN, …; for UDP: ESTABLISHED (connected) or UNCONN. */
  state: string;
  uid: number;
  inode: number;
}

export class ProcParseError extends NetError {
  override name = 'ProcParseError';
  constructor(detail: string) {
    super('proc-parse', `A line of the kernel's socket table could not be read (${detail}).`);
  }
}

// include/net/tcp_states.h
const TCP_STATES: Readonly<Record<number, string>> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  12: 'NEW_SYN_RECV',
};

const HOST_LE = endianness() === 'LE';

/**
 * Decodes a table address: 8 hex digits (IPv4) or 32 (IPv6), each 32-bit word in the host's byte order
 * (`littleEndian` defaults to this machine's).
 */
export function parseHexAddress(hex: string, littleEndian = HOST_LE): string {
  if (!/^(?:[0-9A-F]{8}|[0-9A-F]{32})$/i.test(hex)) throw new ProcParseError('an address is not 8 or 32 hex digits');
  const bytes = Buffer.alloc(hex.length / 2);
  for (let i = 0; i < hex.length / 8; i++) {
    const word = Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16);
    if (littleEndian) bytes.writeUInt32LE(word, i * 4);
    else bytes.writeUInt32BE(word, i * 4);
  }
  return formatAddress(bytes);
}

/** Network-order bytes (4 or 16) to text; v4-mapped IPv6 as ::ffff:a.b.c.d. */
export function formatAddress(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) throw new ProcParseError('an address is neither 4 nor 16 bytes');
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // The WHATWG URL parser serializes IPv6 the RFC 5952 way (longest zero run compressed, lower case).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

const HEX_ENDPOINT = '([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4})';
const LINE = new RegExp(
  `^\\s*\\d+:\\s+${HEX_ENDPOINT}\\s+${HEX_ENDPOINT}\\s+([0-9A-F]{2})\\s+[0-9A-F]{8}:[0-9A-F]{8}\\s+[0-9A-F]{2}:[0-9A-F]{8}\\s+[0-9A-F]{8}\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)(?:\\s.*)?$`,
  'i',
);
const HEADER = /^\s*sl\s+local_address\s+rem(?:ote)?_address\s+st\s/; // tcp/udp say rem_, tcp6/udp6 remote_

/** One data line of a table (not the header). */
export function parseProcNetLine(line: string, table: ProcTable, littleEndian = HOST_LE): ProcSocket {
  const m = LINE.exec(line);
  if (m === null) throw new ProcParseError(`unexpected shape in ${table}`);
  const [, lAddr, lPort, rAddr, rPort, st, uid, , inode] = m as unknown as [string, string, string, string, string, string, string, string, string];
  const family = table.endsWith('6') ? 6 : 4;
  const width = family === 6 ? 32 : 8;
  if (lAddr.length !== width || rAddr.length !== width) throw new ProcParseError(`an address of the wrong width in ${table}`);
  const protocol = table.startsWith('tcp') ? 'tcp' : 'udp';
  const code = Number.parseInt(st, 16);
  const state = protocol === 'udp' ? (code === 1 ? 'ESTABLISHED' : code === 7 ? 'UNCONN' : undefined) : TCP_STATES[code];
  if (state === undefined) throw new ProcParseError(`unknown state ${st} in ${table}`);
  return {
    table,
    protocol,
    family,
    local: { address: parseHexAddress(lAddr, littleEndian), port: Number.parseInt(lPort, 16) },
    remote: { address: parseHexAddress(rAddr, littleEndian), port: Number.parseInt(rPort, 16) },
    state,
    uid: Number(uid),
    inode: Number(inode),
  };
}

/**
 * A whole table: the header line, then data lines (an empty table is just the header). With `onlyInodes`, only the
 * lines of those sockets are parsed (strictly); the others — a busy host has tens of thousands — are skipped by
 * their 10th field, which is cheap.
 */
export function parseProcNet(text: string, table: ProcTable, littleEndian = HOST_LE, onlyInodes?: ReadonlySet<number>): ProcSocket[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const [header, ...rest] = lines;
  if (header === undefined || !HEADER.test(header)) throw new ProcParseError(`${table} does not start with its header`);
  const wanted = onlyInodes === undefined ? rest : rest.filter((l) => onlyInodes.has(Number(l.trim().split(/\s+/, 10)[9])));
  return wanted.map((l) => parseProcNetLine(l, table, littleEndian));
}

/** Inodes of the sockets this process holds open (from /proc/self/fd). */
export async function ownSocketInodes(procRoot = '/proc'): Promise<Set<number>> {
  const dir = `${procRoot}/self/fd`;
  const inodes = new Set<number>();
  for (const fd of await readdir(dir)) {
    let link: string;
    try {
      link = await readlink(`${dir}/${fd}`);
    } catch {
      continue; // closed between readdir and readlink (or the directory's own fd)
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m?.[1] !== undefined) inodes.add(Number(m[1]));
  }
  return inodes;
}

/** This process's TCP and UDP sockets, IPv4 and IPv6. A table the kernel does not have (IPv6 off) is skipped. */
export async function ownSockets(procRoot = '/proc'): Promise<ProcSocket[]> {
  const inodes = await ownSocketInodes(procRoot);
  const out: ProcSocket[] = [];
  for (const table of PROC_TABLES) {
    let text: string;
    try {
      text = await readFile(`${procRoot}/self/net/${table}`, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const s of parseProcNet(text, table, HOST_LE, inodes)) if (s.inode !== 0) out.push(s);
  }
  return out;
}

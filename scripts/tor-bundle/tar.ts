/**
 * A small tar.gz reader, so that unpacking needs no system `tar` and nothing in the archive decides where a file
 * goes: every member name is checked (no absolute path, no `..`, no drive letter or backslash) before anything is
 * written, and links are only data here, never followed. Reads ustar, GNU long names (`L`/`K`) and pax headers
 * (`x`: path, linkpath, size), which is what the Tor Project's tar and GNU/BSD tar write.
 */
import { gunzipSync } from 'node:zlib';
import { ArchiveError } from './errors';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** Normalized relative path (posix separators, no `./`, no trailing slash). */
  name: string;
  type: TarEntryType;
  mode: number;
  /** Link target for symlinks and hard links, as written in the archive. */
  linkName: string;
  data: Buffer;
}

/** Refuses what could land outside the destination; returns the name normalized. */
export function safeMemberName(raw: string): string {
  if (raw.includes('\0') || raw.includes('\\')) throw new ArchiveError('tor-archive-unsafe', `The archive has a member with a suspicious name (${JSON.stringify(raw.slice(0, 80))}): refusing it.`);
  const name = raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new ArchiveError('tor-archive-unsafe', `The archive has a member with an absolute path (${raw.slice(0, 80)}): refusing it.`);
  const parts = name.split('/');
  if (parts.some((p) => p === '..')) throw new ArchiveError('tor-archive-unsafe', `The archive has a member that climbs out of its directory (${raw.slice(0, 80)}): refusing it.`);
  return parts.filter((p) => p !== '' && p !== '.').join('/');
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(block: Buffer, start: number, length: number, what: string): number {
  const first = block[start] ?? 0;
  if ((first & 0x80) !== 0) {
    // GNU base-256: big-endian, the top bit of the first byte is the marker.
    let n = first & 0x7f;
    for (let i = 1; i < length; i += 1) n = n * 256 + (block[start + i] ?? 0);
    return n;
  }
  const text = field(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArchiveError('tor-archive-corrupt', `The archive's ${what} field is not a number.`);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = octal(block, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < 512; i += 1) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
  return sum === stored;
}

function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const len = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) throw new ArchiveError('tor-archive-corrupt', 'The archive has a malformed pax header.');
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '5': 'dir' };

/** Reads every member of a tar.gz held in memory (at most `maxBytes` once decompressed). */
export function readTarGz(gz: Buffer, maxBytes = 512 * 1024 * 1024): TarEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: maxBytes });
  } catch (err) {
    throw new ArchiveError('tor-archive-corrupt', `The archive is not a readable tar.gz (or is over ${maxBytes} bytes unpacked): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();
  let at = 0;
  while (at + 512 <= tar.length) {
    const block = tar.subarray(at, at + 512);
    if (block.every((b) => b === 0)) break;
    if (!checksumOk(block)) throw new ArchiveError('tor-archive-corrupt', `The archive's header at byte ${at} has a bad checksum.`);
    const typeflag = String.fromCharCode(block[156] ?? 0);
    const size = pax.has('size') ? Number(pax.get('size')) : octal(block, 124, 12, 'size');
    const dataStart = at + 512;
    if (!Number.isSafeInteger(size) || size < 0 || dataStart + size > tar.length) throw new ArchiveError('tor-archive-corrupt', 'The archive is truncated.');
    const data = tar.subarray(dataStart, dataStart + size);
    at = dataStart + Math.ceil(size / 512) * 512;
    if (typeflag === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (typeflag === 'K') {
      longLink = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (typeflag === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (typeflag === 'g') continue;
    const magic = field(block, 257, 6);
    const prefix = magic.startsWith('ustar') ? field(block, 345, 155) : '';
    const headerName = prefix === '' ? field(block, 0, 100) : `${prefix}/${field(block, 0, 100)}`;
    const rawName = pax.get('path') ?? longName ?? headerName;
    const linkName = pax.get('linkpath') ?? longLink ?? field(block, 157, 100);
    longName = undefined;
    longLink = undefined;
    pax = new Map();
    const name = safeMemberName(rawName);
    if (name === '') continue;
    entries.push({ name, type: TYPES[typeflag] ?? 'other', mode: octal(block, 100, 8, 'mode') & 0o7777, linkName, data: Buffer.from(data) });
  }
  return entries;
}

/**
 * Read-only files of the built renderer (renderer/dist): a request path is decoded, resolved against the directory
 * and must stay inside it, also after symbolic links are followed; directories are never listed, and dot-files and
 * unknown kinds of file are not served.
 */
import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export type StaticLookup = { kind: 'file'; file: string; type: string; index: boolean } | { kind: 'bad-path' } | { kind: 'not-found' };

/** `pathname` is the raw (still percent-encoded) path of the request URL. `root` must be a real path. */
export async function lookupStatic(root: string, pathname: string): Promise<StaticLookup> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { kind: 'bad-path' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { kind: 'bad-path' };
  const relative = decoded === '/' ? '/index.html' : decoded;
  if (relative.split('/').some((segment) => segment.startsWith('.'))) return { kind: 'bad-path' };
  const candidate = resolve(root, `.${relative}`);
  if (!inside(root, candidate)) return { kind: 'bad-path' };
  const type = TYPES[extname(candidate).toLowerCase()];
  if (type === undefined) return { kind: 'not-found' };
  let real: string;
  try {
    real = await realpath(candidate);
    if (!(await stat(real)).isFile()) return { kind: 'not-found' };
  } catch {
    return { kind: 'not-found' };
  }
  if (!inside(root, real)) return { kind: 'bad-path' };
  return { kind: 'file', file: real, type, index: real === resolve(root, 'index.html') };
}

function inside(root: string, path: string): boolean {
  return path.startsWith(root + sep);
}

/**
 * The bridge's Content-Security-Policy. It is Electron's (main/window-options.ts) plus one thing: the page may open
 * the bridge's WebSocket, and nothing else. renderer/index.html carries the same policy in a <meta> without any
 * connect-src (Electron needs none); a page obeys BOTH the header and the meta, so the bridge rewrites the meta too.
 */

export function bridgeCsp(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connectSource(port)}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function connectSource(port: number): string {
  return `ws://127.0.0.1:${port}`;
}

const META = /(<meta\s+http-equiv=(["'])Content-Security-Policy\2\s+content=)(?:"([^"]*)"|'([^']*)')/i;

/**
 * index.html with its CSP <meta> given `connect-src <source>` (an existing connect-src is replaced, every other
 * directive kept). Returns undefined when the page has no such meta: the caller then serves it as it is (the header
 * still applies).
 */
export function rewriteCspMeta(html: string, source: string): string | undefined {
  const match = META.exec(html);
  if (match === null) return undefined;
  const [whole, head = '', , doubleQuoted, singleQuoted] = match;
  const quote = doubleQuoted === undefined ? "'" : '"';
  const content = doubleQuoted ?? singleQuoted ?? '';
  const directives = content
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d !== '' && !/^connect-src(\s|$)/i.test(d));
  directives.push(`connect-src ${source}`);
  return html.slice(0, match.index) + `${head}${quote}${directives.join('; ')}${quote}` + html.slice(match.index + whole.length);
}

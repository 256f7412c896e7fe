/**
 * openpgp.js 6's types import `WebStream` and `NodeWebStream` from '@openpgp/web-stream-tools', a package that is a
 * dev-only dependency of openpgp and not installed here. Without these declarations the stream-dependent return
 * types of openpgp.encrypt/decrypt resolve to an error type (which eslint's no-unsafe-* rules reject). Both are web
 * ReadableStreams (global in Node 18+); Cove never passes streams, so these only make the conditional types resolve.
 */
declare module '@openpgp/web-stream-tools' {
  type Data = Uint8Array | string;
  export type WebStream<T extends Data> = ReadableStream<T>;
  export type NodeWebStream<T extends Data> = import('node:stream/web').ReadableStream<T>;
}

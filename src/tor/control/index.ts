/** The Tor control-port client: see client.ts for why it exists and how it behaves. */
export { TorControlClient, type TorControlEndpoint, type TorControlOptions } from './client';
export type { AddOnionOptions, AddedOnion, OnionKey } from './commands';
export type { AuthOptions } from './auth';
export * from './errors';
export * from './events';
export * from './parsers';
export { ReplyParser, DEFAULT_PARSER_LIMITS, type Reply, type ReplyLine, type ParserLimits } from './reply-parser';
export { parseKeywordArgs, parseQuotedList, quoteString, unquote, token, key, type KeywordArgs } from './syntax';

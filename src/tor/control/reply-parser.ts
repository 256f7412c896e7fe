/**
 * An incremental, strict parser of Tor control-protocol replies (control-spec section 2.3 / 4):
 *
 *   Reply         = *(MidReplyLine / DataReplyLine) EndReplyLine
 *   MidReplyLine  = StatusCode "-" ReplyLine
 *   DataReplyLine = StatusCode "+" ReplyLine CmdData
 *   EndReplyLine  = StatusCode SP ReplyLine
 *   CmdData       = *DataLine "." CRLF           (dot-stuffed: a data line starting with "." gets one more ".")
 *
 * Feed it bytes in any chunking; it returns each reply once its end line has arrived. Async events (status 6xx) are
 * replies like any other: the client routes them by status.
 *
 * Strictness, and why: a controller that guesses at a desynchronised stream would match replies to the wrong
 * commands, so anything off-spec throws a TorProtocolError and the parser stays broken (every later push throws the
 * same error):
 *   - every line must end in CRLF (tor always sends CRLF; a bare LF means we are not talking to tor);
 *   - a status line is 3 digits whose first is 2, 4, 5 or 6, then "-", "+" or " "; a bare CR or a NUL in it is refused;
 *   - all lines of one reply carry the same status code (tor writes a reply in one go, so an event cannot land
 *     inside a reply);
 *   - a line (status or data line, without its CRLF) may be at most `maxLineBytes` (64 KiB), and one reply with its
 *     data blocks at most `maxReplyBytes` (32 MiB: a full consensus fits) — both checked before the line is complete,
 *     so a peer cannot make us buffer without limit.
 * Data blocks are returned with the CRLFs turned into "\n" between lines (no trailing newline) and dot-unstuffed.
 * Text is decoded as UTF-8 (tor's text is ASCII except paths and log messages).
 */
import { TorProtocolError } from './errors';

export type ReplySeparator = '-' | '+' | ' ';

export interface ReplyLine {
  readonly status: number;
  readonly sep: ReplySeparator;
  readonly text: string;
  /** Only on "+" lines: the data block that followed. */
  readonly data?: string;
}

export interface Reply {
  readonly status: number;
  readonly lines: readonly ReplyLine[];
}

export interface ParserLimits {
  readonly maxLineBytes: number;
  readonly maxReplyBytes: number;
}

export const DEFAULT_PARSER_LIMITS: ParserLimits = { maxLineBytes: 64 * 1024, maxReplyBytes: 32 * 1024 * 1024 };

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

export class ReplyParser {
  private readonly limits: ParserLimits;
  private pending: Buffer = EMPTY;
  /** How much of `pending` is known to hold no LF. */
  private scanned = 0;
  private lines: ReplyLine[] = [];
  private status: number | undefined;
  private replyBytes = 0;
  private data: { status: number; text: string; lines: string[] } | undefined;
  private broken: TorProtocolError | undefined;

  constructor(limits: Partial<ParserLimits> = {}) {
    this.limits = { ...DEFAULT_PARSER_LIMITS, ...limits };
  }

  /** True while a reply has started but not ended, or part of a line is buffered. */
  get inReply(): boolean {
    return this.status !== undefined || this.pending.length > 0;
  }

  /** The error that broke this parser, if one did. */
  get error(): TorProtocolError | undefined {
    return this.broken;
  }

  /** Adds bytes; returns the replies completed by them, in order. Throws TorProtocolError on malformed input. */
  push(chunk: Uint8Array): Reply[] {
    if (this.broken !== undefined) throw this.broken;
    try {
      return this.consume(chunk);
    } catch (err) {
      this.broken = err instanceof TorProtocolError ? err : new TorProtocolError('the parser failed', { cause: err });
      this.pending = EMPTY;
      this.lines = [];
      throw this.broken;
    }
  }

  private consume(chunk: Uint8Array): Reply[] {
    const buf = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    const out: Reply[] = [];
    let start = 0;
    let from = this.scanned;
    for (;;) {
      const lf = buf.indexOf(LF, from);
      if (lf < 0) break;
      if (lf === start || buf[lf - 1] !== CR) throw new TorProtocolError('a line ends in a bare LF instead of CRLF');
      const line = buf.subarray(start, lf - 1);
      this.count(line.length);
      const reply = this.line(line);
      if (reply !== undefined) out.push(reply);
      start = lf + 1;
      from = start;
    }
    const rest = buf.length - start;
    // A line still without its LF may not grow past the cap, plus its CR if that has come already.
    const max = this.limits.maxLineBytes;
    if (rest > max + 1 || (rest === max + 1 && buf[buf.length - 1] !== CR)) throw this.tooLong();
    if (this.replyBytes + rest > this.limits.maxReplyBytes) throw this.tooBig();
    this.pending = rest === 0 ? EMPTY : Buffer.from(buf.subarray(start));
    this.scanned = this.pending.length;
    return out;
  }

  private count(lineBytes: number): void {
    if (lineBytes > this.limits.maxLineBytes) throw this.tooLong();
    this.replyBytes += lineBytes + 2;
    if (this.replyBytes > this.limits.maxReplyBytes) throw this.tooBig();
  }

  private tooLong(): TorProtocolError {
    return new TorProtocolError(`a line is longer than ${this.limits.maxLineBytes} bytes`);
  }

  private tooBig(): TorProtocolError {
    return new TorProtocolError(`a reply is larger than ${this.limits.maxReplyBytes} bytes`);
  }

  private line(line: Buffer): Reply | undefined {
    const data = this.data;
    if (data !== undefined) {
      if (line.length === 1 && line[0] === 0x2e) {
        this.data = undefined;
        this.lines.push({ status: data.status, sep: '+', text: data.text, data: data.lines.join('\n') });
      } else {
        data.lines.push((line[0] === 0x2e ? line.subarray(1) : line).toString('utf8'));
      }
      return undefined;
    }
    const status = parseStatus(line);
    const sep = line[3];
    if (sep !== 0x2d && sep !== 0x2b && sep !== 0x20) throw new TorProtocolError('a status code is not followed by "-", "+" or " "');
    if (line.includes(CR) || line.includes(0)) throw new TorProtocolError('a reply line holds a bare CR or a NUL');
    if (this.status === undefined) this.status = status;
    else if (this.status !== status) throw new TorProtocolError(`one reply mixes status codes ${this.status} and ${status}`);
    const text = line.subarray(4).toString('utf8');
    if (sep === 0x2b) {
      this.data = { status, text, lines: [] };
      return undefined;
    }
    this.lines.push({ status, sep: sep === 0x2d ? '-' : ' ', text });
    if (sep === 0x2d) return undefined;
    const reply: Reply = { status, lines: this.lines };
    this.lines = [];
    this.status = undefined;
    this.replyBytes = 0;
    return reply;
  }
}

function parseStatus(line: Buffer): number {
  const d0 = line[0];
  const d1 = line[1];
  const d2 = line[2];
  if (line.length < 4 || d0 === undefined || d1 === undefined || d2 === undefined) {
    throw new TorProtocolError('a reply line is shorter than a status code and a separator');
  }
  if (!isDigit(d0) || !isDigit(d1) || !isDigit(d2)) throw new TorProtocolError('a reply line does not start with a 3-digit status code');
  const status = (d0 - 0x30) * 100 + (d1 - 0x30) * 10 + (d2 - 0x30);
  if (d0 !== 0x32 && d0 !== 0x34 && d0 !== 0x35 && d0 !== 0x36) throw new TorProtocolError(`status code ${status} is not 2xx, 4xx, 5xx or 6xx`);
  return status;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** The text of a reply, one line per reply line (for messages; data blocks left out). */
export function replyText(reply: Reply): string {
  return reply.lines.map((l) => l.text).join('\n');
}

// The argument grammar (keyword=value pairs, QuotedStrings, quoting for commands) lives in syntax.ts.
export { parseKeywordArgs, parseQuotedList, quoteString, readQuoted, unquote, type KeywordArgs } from './syntax';

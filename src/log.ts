import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Structured logging with pino: one JSON object per line when the output is not a terminal
 * (for log collectors), readable lines when it is. Callers pass facts as fields and never
 * put SQL, secrets, tokens or personal data in them (`safeErrorFields` describes an error
 * without its text); as a second guard, fields that commonly hold secrets are redacted.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** The one line of a finished HTTP request, at info level with the message `request`. */
  request(line: RequestLogLine): void;
}

/**
 * What the line of a request may say: a fixed set of fields, none of which can name a
 * credential, so this line skips the redaction pass that every other line goes through (it
 * is written for every request, and the pass cost 2% of the server's CPU in the bench), and
 * pino's serialiser too.
 */
export interface RequestLogLine extends RequestFacts {
  requestId: string;
  method: string | undefined;
  path: string;
  status: number;
  durationMs: number;
  /** The client's address: the socket's peer, or behind trusted proxies the client they name. */
  client: string;
}

/** What the GraphQL layer learns about a request as it goes, for its log line. */
export interface RequestFacts {
  /** The caller's label: anonymous, or an API key's id and name, or a token's subject. */
  caller?: string;
  operation?: string;
  type?: string;
  /** The node that served it, and its role then. */
  node?: string;
  role?: string;
  /** ok, or the code of the first error. */
  outcome?: string;
  /** `fast` when the fast lane answered it. */
  lane?: 'fast';
}

const REDACTED = [
  'authorization',
  'password',
  'token',
  'key',
  'secret',
  'url',
  '*.authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.url',
];

/** Log lines are written when this many characters are waiting, or LOG_FLUSH_MS after the first of them. */
const LOG_BUFFER_CHARS = 32 * 1024;
const LOG_FLUSH_MS = 250;

/** Characters a request's line is counted as before it is made (see BatchedLines.writeRequest). */
const REQUEST_LINE_CHARS = 320;

/** A request's line to be made when its batch is written. */
interface PendingRequestLine {
  line: RequestLogLine;
  at: number;
}

/**
 * Lines on their way out, written many at a time: kept apart and written joined once
 * `maxChars` are waiting, or `flushMs` after the first of them, or when the process exits.
 * (pino's buffered destination appends each line to one growing string and measures that
 * string's bytes on every write: 4-5 µs a line with a 4 KB buffer, 8 µs with 32 KB.)
 */
export class BatchedLines {
  private lines: (string | PendingRequestLine)[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly maxChars = LOG_BUFFER_CHARS,
    private readonly flushMs = LOG_FLUSH_MS,
  ) {}

  write(line: string): void {
    this.add(line, line.length);
  }

  /**
   * A request's line, made when its batch is written rather than now: made a batch at a time,
   * the lines cost a fraction of what each cost made between everything else a request does
   * (writing none gave a busy server 20-35% more cache hits a second; making them here, 1-11%).
   */
  writeRequest(line: RequestLogLine, at: number): void {
    this.add({ line, at }, REQUEST_LINE_CHARS);
  }

  private add(line: string | PendingRequestLine, chars: number): void {
    this.lines.push(line);
    this.chars += chars;
    if (this.chars >= this.maxChars) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs).unref();
  }

  /** Writes what is waiting now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const text = this.lines.map((line) => (typeof line === 'string' ? line : requestLine(line.line, line.at))).join('');
    this.lines = [];
    this.chars = 0;
    this.out.write(text);
  }
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go: standard output (default), standard error, or a function (tests). */
  to?: 'stdout' | 'stderr' | ((line: string) => void);
  /** Readable lines instead of JSON; default: when writing to a terminal. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const to = options.to ?? 'stdout';
  const fd = to === 'stderr' ? 2 : 1;
  const readable = options.pretty ?? (typeof to !== 'function' && (fd === 2 ? process.stderr : process.stdout).isTTY === true);
  const destination =
    typeof to === 'function'
      ? { write: (line: string) => to(line.replace(/\n$/, '')) }
      : readable
        ? pretty({ colorize: true, sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', destination: fd })
        : batchedOutput(fd);
  const settings = {
    level,
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const logger: PinoLogger = pino({ ...settings, redact: { paths: REDACTED, censor: '[redacted]' } }, destination);
  const writesRequests = logger.isLevelEnabled('info');
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
    request: (line) => {
      if (!writesRequests) return;
      if (destination instanceof BatchedLines) destination.writeRequest(line, Date.now());
      else destination.write(requestLine(line, Date.now()));
    },
  };
}

/**
 * A request's line as pino would write it (level, time, the fields, msg), at `at` (ms since
 * the epoch), made by one JSON.stringify of its fixed fields: pino's serialiser, which looks at
 * every value on its own, took 5% of the server's CPU on cached reads in the bench.
 */
function requestLine(line: RequestLogLine, at: number): string {
  return `{"level":"info","time":"${new Date(at).toISOString()}",${JSON.stringify(line).slice(1, -1)},"msg":"request"}\n`;
}

/**
 * Standard output or error for JSON lines, batched (see BatchedLines): a busy server writes its
 * request lines 32 KB at a time instead of one write call each (those calls took 3% of its CPU,
 * and woke the reader of its output as often). What is waiting goes out when the process exits:
 * these handlers come before those of pino's destination, which writes out what it holds.
 */
function batchedOutput(fd: number): BatchedLines {
  const lines = new BatchedLines({ write: (text: string) => output.write(text) });
  process.on('beforeExit', () => lines.flush());
  process.on('exit', () => lines.flush());
  const output = pino.destination({ dest: fd, sync: false });
  return lines;
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, request() {} };

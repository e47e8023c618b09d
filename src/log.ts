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

/** Log lines are written when this many bytes are waiting, or every LOG_FLUSH_MS. */
const LOG_BUFFER_BYTES = 4096;
const LOG_FLUSH_MS = 250;

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
        : // Buffered: a busy server writes its request lines 4 KB at a time instead of one write
          // call each (those calls took 3% of its CPU under the bench); a quiet one flushes every 250 ms,
          // and pino writes out what is left when the process exits.
          pino.destination({ dest: fd, sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS });
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
    // The line pino would write (level, time, the fields, msg), made by one JSON.stringify of its
    // fixed fields: pino's serialiser, which looks at every value on its own, took 5% of the
    // server's CPU on cached reads in the bench.
    request: (line) => {
      if (writesRequests)
        destination.write(`{"level":"info","time":"${new Date().toISOString()}",${JSON.stringify(line).slice(1, -1)},"msg":"request"}\n`);
    },
  };
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, request() {} };

/**
 * The logging surface central uses: the subset of pino's API it calls, so a pino logger
 * fits as is and tests can pass a recorder. Never pass secrets (keys, passwords) in `obj`.
 *
 * @example
 * const logger: Logger = pino({ name: 'central' });
 * logger.info({ version: 3 }, 'model promoted');
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** One recorded log call. */
export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg?: string;
}

/**
 * A logger that keeps what it was given, for tests that check what was logged.
 *
 * @example
 * const log = recordingLogger();
 * log.warn({ nodeId: 'x' }, 'forged');
 * log.records[0].msg; // 'forged'
 */
export function recordingLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at = (level: LogRecord['level']) => (obj: object, msg?: string) => void records.push({ level, obj, msg });
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

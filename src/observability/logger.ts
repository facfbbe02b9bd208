// JSON-lines logs through winston (docs/architecture.md#command-line-flags). Messages and fields never carry key material.
import winston from 'winston';

export type Logger = Pick<winston.Logger, 'error' | 'warn' | 'info' | 'debug'>;

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SEVERITY: Readonly<Record<string, number>> = winston.config.npm.levels;

export function createLogger(level: LogLevel = 'info'): Logger {
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
  // winston takes every message through its stream machinery before the transport drops those
  // below the level: two debug lines per reconcile cost ~40 µs at info level (scale benchmark,
  // every signing Secret touched). Below-level methods do nothing instead.
  for (const below of LOG_LEVELS) {
    if ((SEVERITY[below] ?? 0) > (SEVERITY[level] ?? 0)) logger[below] = (() => logger) as winston.LeveledLogMethod;
  }
  return logger;
}

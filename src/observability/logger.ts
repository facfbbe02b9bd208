// JSON-lines logs through winston (docs/architecture.md#command-line-flags). Messages and fields never carry key material.
import winston from 'winston';

export type Logger = Pick<winston.Logger, 'error' | 'warn' | 'info' | 'debug'>;

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SEVERITY: Readonly<Record<string, number>> = winston.config.npm.levels;

export function createLogger(level: LogLevel = 'info'): winston.Logger {
  // winston formats every message (timestamp, JSON) before its transport drops those below the
  // level: a debug line per reconcile cost that at info level. Below-level messages stop first.
  const atLevel = winston.format((info) => ((SEVERITY[info.level] ?? 0) <= (SEVERITY[level] ?? 0) ? info : false));
  return winston.createLogger({
    level,
    format: winston.format.combine(atLevel(), winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
}

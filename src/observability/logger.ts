// JSON-lines logs through winston (docs/architecture.md#command-line-flags). Messages and fields never carry key material.
import winston from 'winston';

export type Logger = Pick<winston.Logger, 'error' | 'warn' | 'info' | 'debug'>;

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel = 'info'): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: [] })],
  });
}

// A logger that drops everything, for tests and benchmarks that do not look at logs.
import winston from 'winston';
import type { Logger } from '../../src/observability/logger.js';

export const silentLogger: Logger = winston.createLogger({ silent: true });

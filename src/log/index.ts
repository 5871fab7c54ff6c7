export { createLogger, REDACT_PATHS } from './logger.js';
export type { Logger, LoggerSettings } from './logger.js';

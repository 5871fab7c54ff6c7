export { ConfigError, DEFAULT_BODY_BUDGET_BYTES, DEFAULT_BODY_BUDGET_PER_CLIENT_BYTES, DEFAULT_WEBHOOK_PATH, handlerOptionsVariable, loadConfig, parseDatabaseUrl, requireReceiver, SECRET_VARIABLES, secretValues } from './config.js';
export type { Config, DatabaseConfig, DatabaseProvider, DispatchConfig, LimitsConfig, RetentionConfig, StreamConfig, TlsFiles, XApiConfig } from './config.js';
export type { TrustProxy } from './trust-proxy.js';
export { readEnvironment, parseDotEnv } from './env.js';

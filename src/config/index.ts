export { ConfigError, handlerOptionsVariable, loadConfig, parseDatabaseUrl, requireReceiver, SECRET_VARIABLES, secretValues } from './config.js';
export type { Config, DatabaseConfig, DatabaseProvider, DispatchConfig, RetentionConfig, TlsFiles, XApiConfig } from './config.js';
export type { TrustProxy } from './trust-proxy.js';
export { readEnvironment, parseDotEnv } from './env.js';

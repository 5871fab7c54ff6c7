export { ConfigError, handlerOptionsVariable, loadConfig, parseDatabaseUrl, requireReceiver, SECRET_VARIABLES, secretValues } from './config.js';
export type { Config, DatabaseConfig, DatabaseProvider, DispatchConfig, LimitsConfig, RetentionConfig, XApiConfig } from './config.js';
export { readEnvironment, parseDotEnv } from './env.js';

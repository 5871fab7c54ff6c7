export { ConfigError, loadConfig, parseDatabaseUrl, requireReceiver, SECRET_VARIABLES } from './config.js';
export type { Config, DatabaseConfig, DatabaseProvider, DispatchConfig } from './config.js';
export { readEnvironment, parseDotEnv } from './env.js';

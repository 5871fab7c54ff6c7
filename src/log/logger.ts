import { createRequire } from 'node:module';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Header and field paths that may carry credentials or signatures: never logged. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twitter-webhooks-signature"]',
  'req.headers["x-admin-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-twitter-webhooks-signature"]',
  'consumerSecret',
  '*.consumerSecret',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'password',
  '*.password',
];

export interface LoggerSettings {
  level: string;
  env: string;
  /** Exact secret values to scrub from every line, wherever they appear. */
  secrets?: Array<string | undefined>;
  /** Pretty output; defaults to "stdout is a TTY and not production". */
  pretty?: boolean;
  /** How pretty output looks (default: colored, multi-line): pino-pretty's options of these names. */
  prettyOptions?: { colorize?: boolean; singleLine?: boolean; ignore?: string; messageFormat?: string; translateTime?: string };
  destination?: pino.DestinationStream;
}

/**
 * JSON lines by default; pretty only on a terminal outside production, and only where pino-pretty
 * (a development dependency) is installed. Credentials are
 * redacted by path, and any configured secret value is scrubbed from the whole line.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const secrets = (settings.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const options: LoggerOptions = {
    level: settings.level,
    base: undefined,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (secrets.length) {
    options.hooks = {
      streamWrite: (line: string) => scrub(line, secrets),
    };
  }
  const pretty = settings.pretty ?? (Boolean(process.stdout.isTTY) && settings.env !== 'production');
  // pino-pretty is a development dependency: where it is not installed (a production install,
  // the image) logs stay JSON lines.
  if (pretty && !settings.destination && prettyAvailable()) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, ...settings.prettyOptions } } });
  }
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

let prettyInstalled: boolean | undefined;
function prettyAvailable(): boolean {
  if (prettyInstalled === undefined) {
    try {
      createRequire(import.meta.url).resolve('pino-pretty');
      prettyInstalled = true;
    } catch {
      prettyInstalled = false;
    }
  }
  return prettyInstalled;
}

function scrub(line: string, secrets: string[]): string {
  let out = line;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join('[redacted]');
  }
  return out;
}

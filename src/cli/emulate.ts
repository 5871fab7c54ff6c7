import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { loadConfig, readEnvironment, type Config } from '../config/index.js';
import { userIdOfAccessToken } from '../management/index.js';
import { XStandIn } from '../testing/x-standin/index.js';
import { wholeNumber } from './whole-number.js';

/** The app and user the stand-in knows: the configured credentials, the missing ones made up for this run. */
export interface EmulatedApp {
  consumerKey: string;
  consumerSecret: string;
  bearerToken: string;
  userId: string;
  accessToken: string;
  accessTokenSecret: string;
  oauth2Token: string;
}

/** The configured credentials, and made-up ones for the missing (the user: the access token's, else 2244994945). */
export function emulatedApp(config: Config): EmulatedApp {
  const made = (n: number) => randomBytes(n).toString('base64url');
  const userId = userIdOfAccessToken(config.x.accessToken) ?? '2244994945';
  return {
    consumerKey: config.x.consumerKey ?? made(18),
    consumerSecret: config.consumerSecret ?? made(36),
    bearerToken: config.x.bearerToken ?? made(40),
    userId,
    accessToken: config.x.accessToken ?? `${userId}-${made(20)}`,
    accessTokenSecret: config.x.accessTokenSecret ?? made(30),
    oauth2Token: config.x.oauth2UserToken ?? made(40),
  };
}

/**
 * `xaa emulate`: runs the X stand-in for local development. Credentials come from the
 * environment (or are made up and printed); point the CLI at it with X_API_BASE_URL.
 */
export function emulateCommand(): Command {
  return new Command('emulate')
    .description('run a local stand-in for the X API (webhooks, subscriptions, replay, signed deliveries)')
    .option('--port <port>', 'port to listen on', wholeNumber(0, 65535), '8787')
    .option('--host <host>', 'interface', '127.0.0.1')
    .option('--allow-loopback-http', 'test mode: accept http:// and ported webhook URLs on 127.0.0.1/localhost (X requires https without a port)')
    .option('--max-webhooks <n>', 'webhooks per app', wholeNumber(1), '1')
    .option('--max-subscriptions <n>', 'AAA subscriptions per app', wholeNumber(0), '3')
    .option('--allow-production', 'run even with NODE_ENV=production (the stand-in signs deliveries with the consumer secret it is given)')
    .action(async (o: { port: string; host: string; allowLoopbackHttp?: boolean; maxWebhooks: string; maxSubscriptions: string; allowProduction?: boolean }) => {
      const env = readEnvironment();
      // The stand-in signs whatever deliveries it is asked to with the consumer secret of the
      // environment: on a production machine that would be a real secret, signing forged events.
      if (env.NODE_ENV === 'production' && !o.allowProduction) {
        throw new Error('emulate is a development tool and does not run with NODE_ENV=production (pass --allow-production to run it anyway)');
      }
      const config = loadConfig(env);
      const { consumerKey, consumerSecret, bearerToken, userId, accessToken, accessTokenSecret, oauth2Token } = emulatedApp(config);
      const standin = new XStandIn({
        consumerKey,
        consumerSecret,
        bearerToken,
        users: [{ id: userId, accessToken, accessTokenSecret, oauth2Token }],
        allowLoopbackHttp: Boolean(o.allowLoopbackHttp),
        maxWebhooks: Number(o.maxWebhooks),
        maxSubscriptions: Number(o.maxSubscriptions),
        host: o.host,
        port: Number(o.port),
        log: (line) => process.stderr.write(`[x-standin] ${line}\n`),
      });
      // Ctrl-C or SIGTERM from the moment the stand-in may be listening: it stops cleanly, exit 0.
      const stopAsked = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      let url: string;
      try {
        url = await standin.start();
      } catch (error) {
        if ((error as { code?: string }).code === 'EADDRINUSE') throw new Error(`port ${o.port} is in use: run the X stand-in on another with --port <port>`);
        throw error;
      }
      // X's periodic CRC (every 30 minutes while a webhook has not validated in 24 hours).
      standin.startCrcSchedule();
      process.stdout.write(
        [
          `X stand-in listening on ${url}${o.allowLoopbackHttp ? ' (test mode: loopback http URLs allowed)' : ''}`,
          'Use these with the receiver and the CLI:',
          `X_API_BASE_URL=${url}`,
          `X_CONSUMER_KEY=${consumerKey}`,
          config.consumerSecret ? 'X_CONSUMER_SECRET=(as set)' : `X_CONSUMER_SECRET=${consumerSecret}`,
          config.x.bearerToken ? 'X_BEARER_TOKEN=(as set)' : `X_BEARER_TOKEN=${bearerToken}`,
          `X_ACCESS_TOKEN=${config.x.accessToken ? '(as set)' : accessToken}`,
          `X_ACCESS_TOKEN_SECRET=${config.x.accessTokenSecret ? '(as set)' : accessTokenSecret}`,
          `X_OAUTH2_USER_TOKEN=${config.x.oauth2UserToken ? '(as set)' : oauth2Token}   (user ${userId}: private XAA event types; or as X_OAUTH2_USER_TOKEN_${userId})`,
          `Make an activity happen: curl -X POST ${url}/_standin/events -H 'content-type: application/json' -d '{"type":"follow","user_id":"${userId}"}'`,
          `Make a public post (filtered-stream rules: xaa stream-rules add, xaa stream-links add): curl -X POST ${url}/_standin/posts -H 'content-type: application/json' -d '{"text":"coffee time"}'`,
          `Receive by the persistent stream, no webhook: xaa stream (with the API URL and bearer token above), after e.g. xaa activity create --event-type post.create --user-id ${userId} --stream-only`,
          `State: ${url}/_standin/state`,
          '',
        ].join('\n'),
      );
      await stopAsked;
      await standin.stop();
    });
}

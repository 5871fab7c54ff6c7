import { newActivity, snowflake } from '../../samples.js';
import { invalid } from '../errors.js';
import { route, type Route } from '../server.js';
import type { XStandIn } from '../standin.js';

/** Sending a DM (user context), echoed to both sides' subscriptions as X does. */
export function directMessageRoutes(x: XStandIn): Route[] {
  return [
    route('POST', '/2/dm_conversations/with/:participant_id/messages', 'user', async ({ params, body, userId }) => {
      const text = typeof body.text === 'string' ? body.text : '';
      if (!text) throw invalid('QueryParamInvalid', 'text is required');
      const to = params[0]!;
      const at = new Date();
      const dmEventId = snowflake(at.getTime());
      x.sentMessages.push({ from: userId!, to, text, dmEventId });
      // X echoes a DM to both sides' subscriptions: the sender sees it as sent, the recipient as received.
      for (const forUserId of new Set([userId!, to])) {
        await x.emitActivity(newActivity('dm.message', forUserId, { otherUserId: forUserId === to ? userId! : to, senderId: userId!, id: dmEventId, at, text }));
      }
      const pair = [userId!, to].sort();
      return [201, { data: { dm_conversation_id: pair.join('-'), dm_event_id: dmEventId } }];
    }),
  ];
}

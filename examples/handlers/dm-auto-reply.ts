// Answers every direct message received by a subscribed user with AUTO_REPLY_TEXT, through the
// management client (ctx.x). Inactive unless AUTO_REPLY_TEXT is set.
// X echoes the app's own DMs back as direct_message_events: those arrive with action "sent"
// (the sender is the subscribed user) and are ignored, so the reply never answers itself.
import { definePlugin } from '../../src/plugins/index.js';

export const name = 'dm-auto-reply';

export default definePlugin((hooks) => {
  const text = process.env.AUTO_REPLY_TEXT;
  if (!text) return;
  hooks.on('dm.message', async (event, ctx) => {
    if (event.action !== 'received' || !event.forUserId) return;
    const sender = event.payload.message_create?.sender_id;
    if (!sender || sender === event.forUserId) return;
    await ctx.x.sendDirectMessage(event.forUserId, sender, text);
  });
});

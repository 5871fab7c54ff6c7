// Answers every direct message received by a subscribed user with a fixed text, through the X
// API client (ctx.x, which needs a user context: X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET, or
// X_OAUTH2_USER_TOKEN, of that user).
// Options (HANDLER_OPTIONS_DM_AUTO_REPLY, JSON): {"text": "Thanks, we will get back to you."};
// inactive while the variable is unset.
// X echoes the app's own DMs back as direct_message_events: those arrive with action "sent"
// (the sender is the subscribed user) and are ignored, so the reply never answers itself.
import { z } from 'zod';
import { definePlugin } from '../../src/plugins/index.js';

export default definePlugin({
  name: 'dm-auto-reply',
  options: z.object({ text: z.string().min(1).max(10_000) }).optional(),
  setup(hooks, options) {
    if (!options) return;
    hooks.on('dm.message', async (event, ctx) => {
      if (event.action !== 'received' || !event.forUserId) return;
      const sender = event.data.senderId;
      if (!sender || sender === event.forUserId) return;
      await ctx.x.sendDirectMessage(event.forUserId, sender, options.text);
    });
  },
});

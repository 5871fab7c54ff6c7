// Logs every event, one line each. HANDLERS=./dist/examples/handlers/logger.js (or the .ts file
// under `npm run dev`). No options.
import { definePlugin } from '../../src/plugins/index.js';

export default definePlugin({
  name: 'logger',
  setup(hooks) {
    hooks.onAny((event, ctx) => {
      ctx.log.info(
        { id: event.id, type: event.type, action: event.action, forUserId: event.forUserId, format: event.format },
        'event',
      );
    });
    hooks.on('follow', (event, ctx) => {
      // `event.data` has the normalized follow fields, the same for AAA and XAA deliveries
      // (`event.payload` is the activity as X sent it).
      const { sourceId, sourceUsername, targetId } = event.data;
      ctx.log.info({ who: sourceId, username: sourceUsername, whom: targetId, action: event.action }, 'follow event');
    });
  },
});

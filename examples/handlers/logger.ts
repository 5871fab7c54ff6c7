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
      // `event.payload` is typed for follow events here.
      const source = event.payload.source;
      ctx.log.info({ who: source?.id, action: event.action }, 'follow event');
    });
  },
});

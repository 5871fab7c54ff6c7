// A handler plugin for examples/docker/Dockerfile: one log line per event. Replace it with yours.
// The default export is the plugin: { name, setup } as definePlugin() takes it (see the README's
// Handler plugins). `import { definePlugin } from 'x-activity-receiver'` also works inside the
// image and adds types in an editor; this file needs no import at all.

/** @type {import('x-activity-receiver').PluginDefinition} */
export default {
  name: 'audit-log',
  setup(hooks) {
    hooks.onAny((event, ctx) => {
      ctx.log.info({ event: event.id, type: event.type, action: event.action, forUserId: event.forUserId }, 'event received');
    });
  },
};

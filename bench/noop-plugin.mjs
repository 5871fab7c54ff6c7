// The benchmark's handler: does nothing, so dispatch lag measures the dispatcher itself.
export const name = 'noop';
export default (hooks) => {
  hooks.onAny(() => {});
};

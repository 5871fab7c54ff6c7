/**
 * Whether a byte view is the whole of an ArrayBuffer of its own: such a buffer can be moved to
 * another thread (postMessage's transfer list) instead of copied; a view into a larger buffer
 * would take all of it along, and a SharedArrayBuffer cannot be moved.
 */
export function ownsItsBuffer(view: Uint8Array): view is Uint8Array<ArrayBuffer> {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.buffer instanceof ArrayBuffer;
}

/** The view itself when it owns its buffer, else a copy in a buffer of its own. */
export function inOwnBuffer(view: Uint8Array): Uint8Array {
  return ownsItsBuffer(view) ? view : new Uint8Array(view);
}

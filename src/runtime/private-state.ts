/**
 * State kept on an object without a visible property: a private class field stamped onto an
 * existing object (a base constructor that returns the object lets a subclass add its field to
 * it). The object keeps its prototype, its keys and its symbols; only `read` sees the state.
 *
 * What it is for: an object whose accessors must be the same functions for every object of its
 * kind (see shared accessors in dispatch/lazy-event.ts). V8 keeps an accessor's functions in the
 * object's hidden class, so accessors made per object (closures, or getters in an object literal)
 * give every object a hidden class of its own, reachable from a transition table that young-
 * generation collections treat as a strong root: each such object, with all it references,
 * survives until the next full collection instead of dying young. Shared accessors read the
 * object's state from here.
 */
export interface PrivateState<S> {
  /** Gives `target` its state; returns `target`. */
  attach<T extends object>(target: T, state: S): T;
  /** The state of `target`, or of the nearest object on its prototype chain that has one. */
  read(target: object): S;
  /** The object (target or one on its prototype chain) that holds the state. */
  owner(target: object): object;
}

export function privateState<S>(what: string): PrivateState<S> {
  class Stamp {
    constructor(target: object) {
      return target;
    }
  }
  class Holder extends Stamp {
    #state: S;
    constructor(target: object, state: S) {
      super(target);
      this.#state = state;
    }
    static has(o: object): boolean {
      return #state in o;
    }
    static get(o: object): S {
      return (o as Holder).#state;
    }
  }
  const owner = (target: object): object => {
    for (let o: object | null = target; o !== null && o !== undefined; o = Object.getPrototypeOf(o)) {
      if (Holder.has(o)) return o;
    }
    throw new TypeError(`not ${what}`);
  };
  return {
    attach(target, state) {
      new Holder(target, state);
      return target;
    },
    read: (target) => Holder.get(owner(target)),
    owner,
  };
}

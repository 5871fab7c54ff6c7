/**
 * State kept on an object without a visible property: a private class field stamped onto an
 * existing object (a base constructor that returns the object lets a subclass add its field to
 * it). The object keeps its prototype, its keys and its symbols; only `read` sees the state.
 *
 * What it is for: an object whose accessors must be the same functions for every object of its
 * kind (see shared accessors in dispatch/lazy-event.ts). Accessors made per object (closures,
 * bound functions, getters in an object literal) keep every such object, with all it references,
 * alive through V8's young-generation collections until the next full one, whether the object
 * has fast or dictionary properties (measured with --trace-gc-nvp; where inside V8 the
 * reference sits was not traced). Shared accessors read the object's state
 * from here, through `this`; so they cannot serve a Proxy of the object, or a copy of its
 * property descriptors.
 */
export interface PrivateState<S> {
  /** Gives `target` its state; returns `target`. */
  attach<T extends object>(target: T, state: S): T;
  /**
   * The state of `target`, or of the nearest object on its prototype chain that has one; throws
   * a TypeError with the `refusal` message for any other object (a Proxy of one included: a
   * private field cannot be read through a Proxy).
   */
  read(target: object): S;
  /** The object (target or one on its prototype chain) that holds the state. */
  owner(target: object): object;
}

export function privateState<S>(refusal: string): PrivateState<S> {
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
    throw new TypeError(refusal);
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

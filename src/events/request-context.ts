/**
 * The request an event comes from, carried by AsyncLocalStorage so the
 * registry services (which know nothing of HTTP) need no extra parameters:
 * the HTTP layer runs each request inside {@link RequestContextStore.run}
 * and the event recorder reads {@link RequestContextStore.current}.
 *
 * One store per app, built by a factory (no module-level instance), and only
 * when webhooks are configured: AsyncLocalStorage has a cost on every promise.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** distribution's `RequestRecord` plus the actor, in our field names. */
export interface RequestContext {
  requestId: string;
  /** Client address with port, as the socket saw it (or the proxy said, with trustProxy). */
  addr: string;
  /** `Host` the client asked for. */
  host: string;
  method: string;
  userAgent: string;
  /**
   * Authenticated user name. Authentication runs after the context is
   * entered, so the HTTP layer makes this a getter reading the request's
   * user when an event is built.
   */
  readonly actor?: string | undefined;
}

export interface RequestContextStore {
  /** Runs `fn` (and everything it starts) inside `context`. */
  run<T>(context: RequestContext, fn: () => T): T;
  /** The context of the request being served, if any. */
  current(): RequestContext | undefined;
}

/**
 * @example
 * const contexts = createRequestContextStore();
 * contexts.run({ requestId: 'r1', addr: '10.0.0.1:5123', host: 'reg', method: 'PUT', userAgent: 'oras' }, handle);
 */
export function createRequestContextStore(): RequestContextStore {
  const storage = new AsyncLocalStorage<RequestContext>();
  return {
    run: (context, fn) => storage.run(context, fn),
    current: () => storage.getStore(),
  };
}

/**
 * A request body that stops arriving is not waited for forever (issue 7,
 * slowloris): while a request's body is being received, its connection is
 * closed once no byte has moved on it for `idleMs`. The handler's body
 * stream then fails, so an upload chunk in progress is discarded (the
 * storage writer is cancelled and the session's offset does not advance)
 * and the client may resume from the last acknowledged offset.
 *
 * `headersTimeout` already bounds the time to send headers; a whole-request
 * limit (`requestTimeout`) would cut off honest multi-gigabyte pushes, which
 * an idle limit does not. Like nginx's `client_body_timeout`, the clock runs
 * between two reads, so a server slow to read (a backed-up storage write)
 * counts too: keep the limit well above such pauses.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { hasBody } from './body.js';

export interface BodyIdleTimeoutOptions {
  idleMs: number;
  logger: Logger;
}

/**
 * @example
 * registerBodyIdleTimeout(app, { idleMs: 60_000, logger });
 */
export function registerBodyIdleTimeout(app: FastifyInstance, options: BodyIdleTimeoutOptions): void {
  app.addHook('onRequest', (request, reply, done) => {
    let carriesBody: boolean;
    try {
      carriesBody = hasBody(request);
    } catch {
      carriesBody = true; // a malformed Content-Length is refused by the handler; still guard the socket
    }
    const socket = request.raw.socket;
    if (!carriesBody || request.raw.complete) {
      done();
      return;
    }
    const onIdle = (): void => {
      options.logger.info(
        { requestId: request.id, method: request.method, remote: request.ip, idleMs: options.idleMs },
        'request body stalled: closing the connection',
      );
      socket.destroy();
    };
    const clear = (): void => {
      socket.off('timeout', onIdle);
      // Node sets the keep-alive timeout itself once the response is sent.
      if (!socket.destroyed) socket.setTimeout(0);
    };
    socket.on('timeout', onIdle);
    socket.setTimeout(options.idleMs);
    request.raw.once('end', clear);
    reply.raw.once('close', clear);
    done();
  });
}

import type { FastifyInstance } from 'fastify';

/**
 * A response sent while shutting down closes its connection. Without this, a request still in flight
 * when SIGTERM arrives is answered keep-alive, its idle connection outlives app.close() (which closes
 * only the connections idle at that moment) and the process waits out the keep-alive timeout, past
 * the shutdown deadline; a client of a closed connection reconnects, through the load balancer, to a
 * replica that is not draining. A callback hook, like every hook every request runs.
 */
export function registerCloseWhileDraining(app: FastifyInstance, isShuttingDown: () => boolean): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (isShuttingDown()) reply.header('connection', 'close');
    done(null, payload);
  });
}

/**
 * Events of the resource server, published on the `node:diagnostics_channel` channel
 * `gatehouse:resource-server`. Libraries do not print (STYLE.md, practice 9): subscribe to see them.
 *
 * Events never carry tokens. `error` events carry the unexpected error object itself, which stays in
 * the process: it is never written to a response.
 *
 * @example
 * import diagnostics_channel from 'node:diagnostics_channel';
 * diagnostics_channel.subscribe('gatehouse:resource-server', (event) => logger.debug(event));
 */
import diagnostics_channel from 'node:diagnostics_channel';

/** The channel name. */
export const DIAGNOSTICS_CHANNEL = 'gatehouse:resource-server';

/** Every event published on {@link DIAGNOSTICS_CHANNEL}. */
export type ResourceServerEvent =
  /** A request was refused with an OAuth error or an Origin/Host check (status 400, 401, 403 or 503). */
  | { type: 'rejected'; status: number; error: string; reason?: string }
  /** A request was accepted; `subject` and `clientId` come from the verified token. */
  | { type: 'authenticated'; subject: string | undefined; clientId: string; scopes: readonly string[] }
  /** Something unexpected failed; the client got a generic 500 without details. */
  | { type: 'error'; error: unknown; reason?: string };

const channel = diagnostics_channel.channel(DIAGNOSTICS_CHANNEL);

/** Publishes `event` when someone listens (cheap otherwise). */
export function publish(event: ResourceServerEvent): void {
  if (channel.hasSubscribers) channel.publish(event);
}

import type { WebSocket } from 'ws';

/**
 * A peer's place in a room, as the relay keeps it. Only the relay's private members use it, so the published types of
 * the relay do not name `ws` (a project using them needs no `@types/ws`); it is a declaration file for that reason.
 */
export interface Client {
  socket: WebSocket;
  id: string;
  room: string;
  /** SHA-256 of the key the id was first taken with, if any (see PEER_KEY). */
  keyHash?: Buffer;
  meta: Record<string, unknown>;
  alive: boolean;
  tokens: number;
  refilledAt: number;
  dropped: number;
  leaving?: 'leave' | 'gone' | 'replaced';
  /** Set while the socket is gone and the place is kept. */
  graceTimer?: ReturnType<typeof setTimeout>;
  /** Messages for the peer while it is away (from when its socket was found gone or cut off). */
  held?: string[];
  /** Their size, in bytes of UTF-8. */
  heldBytes?: number;
  /**
   * A message was not held for want of room, or was lost with the socket: none after it is held, so that the peer
   * never gets a later message (a candidate) without an earlier one (its offer).
   */
  heldFull?: boolean;
  /** Cut off for flooding: a reconnection takes its bucket over (see admit). */
  rateLimited?: boolean;
}

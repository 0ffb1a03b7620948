// @ts-check
/**
 * The kit's WebSocket signaling relay. Clients join a room by URL (`/signal?room=NAME&id=PEER&key=SECRET&meta=JSON`;
 * id, key and meta optional), learn who else is there, and send messages addressed to one peer of the same room. The relay never reads what peers send each other.
 *
 * Protocol (JSON text frames):
 *   server → client  {type:'welcome', id, room, peers:[{id, meta}], heartbeatMs, maxMessageBytes}
 *                                                                      once, after joining
 *                    {type:'ping'}                                     every heartbeatMs: a page cannot see the
 *                                                                      socket's own pings, and needs something to
 *                                                                      tell a dead path from a quiet room
 *                    {type:'joined', peer:{id, meta}}                  someone joined (or came back)
 *                    {type:'updated', peer:{id, meta}}                 someone changed their metadata
 *                    {type:'left', id, reason:'leave'|'gone'}          someone said goodbye, or vanished and did
 *                                                                      not come back within the grace period
 *                    {type:'signal', from, data}                        a message for this client
 *                    {type:'error', code, message}                      a request was refused
 *   client → server  {type:'signal', to, data}
 *                    {type:'meta', meta}                                 e.g. {name: 'Front desk'}
 *                    {type:'leave'}                                      goodbye
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { WebSocketServer } from 'ws';

/**
 * Frames beyond this are refused by the socket itself (close 1009). Room for the offer of a connection that sends many
 * tracks: sixteen cameras and a microphone made an offer of about 70 kB in Chromium (some 4 kB per video m-line).
 */
export const MAX_MESSAGE_BYTES = 128 * 1024;

/**
 * Bytes that may wait on the relay for one client: sent to its socket, not yet taken by its network. A client that
 * reads slower than it is sent to (a stalled network, or on purpose) is cut off beyond this, as a dropped socket is:
 * it keeps its place for the grace period, with messages for it held (see MAX_HELD_BYTES). Otherwise its backlog
 * would grow the relay's memory, by megabytes a second from one sender at the rate limit, until the ping found it
 * (after 10 to 20 s). A megabyte is far more than signaling has waiting for anyone.
 */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * Messages nested deeper than this are refused: the relay serializes what it forwards, and JSON.stringify overflows
 * the stack on a few thousand levels, which fit in one frame. The kit's own messages nest 3.
 */
export const MAX_NESTING = 64;

/** The text frame each client gets every ping interval. */
const HEARTBEAT = Buffer.from(JSON.stringify({ type: 'ping' }));

/** Close codes the relay uses; 4000–4999 are the application's range. */
export const CloseCode = Object.freeze({
  badRequest: 4000,
  unauthorized: 4001,
  forbiddenOrigin: 4003,
  idTaken: 4008,
  roomFull: 4009,
  replaced: 4010,
  rateLimited: 4029,
  /** The relay holds its most peers (RelayOptions.maxPeers): 1013, Try Again Later, as the WebSocket registry says. */
  relayFull: 1013,
});

const ROOM = /^[\w.~-]{1,64}$/;
const PEER_ID = /^[\w-]{8,64}$/;
/**
 * What a token (`&token=`) must not hold: clients write it in the address as it is, and these reach the relay changed
 * (`+` as a space, `%41` as `A`) or end the value (`&`, `#`).
 */
const TOKEN_REFUSED = /[\s+&#%]/;
/** A peer's secret (`&key=`): with it, only a connection bringing the same key takes that peer's id again. */
const PEER_KEY = /^[\w-]{16,128}$/;
/** Metadata given in the join URL (`&meta=` JSON), so the room learns a newcomer's name with its arrival. */
export const MAX_META_CHARS = 2048;

/**
 * @typedef {object} RelayOptions
 * @property {string[]} [allowedOrigins] Origins allowed to connect; empty or absent: any.
 * @property {number} [maxPeersPerRoom] At most this many peers in one room (default 16).
 * @property {number} [maxPeers] At most this many peers in all rooms together (default 1000), those kept through their
 *   grace included: each may hold up to MAX_BUFFERED_BYTES and MAX_HELD_BYTES, so this bounds the relay's memory.
 * @property {string} [token] When set, clients must pass `token=` in the URL.
 * @property {number} [pingIntervalMs] How often dead clients are looked for (default 10 s).
 * @property {number} [ratePerSecond] Messages a client may send per second, on average (default 50).
 * @property {number} [burst] Messages a client may send at once (default 200).
 * @property {string} [path] The URL path of the relay (default `/signal`).
 * @property {number} [graceMs] How long a peer whose socket dropped without goodbye keeps its place (default 5 s):
 *   messages for it wait, and it comes back under the same id without the room hearing it was gone.
 * @property {(line: string) => void} [log] Where to write one line per notable event (default: nowhere).
 */

/**
 * @typedef {(request: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void}
 *   UpgradeListener
 */

/** @import { Client } from './relay-client.js' */

/** Messages held for a peer that is away; a bound, so nobody can grow the relay's memory through it. */
const MAX_HELD = 200;
/**
 * Bytes of messages held for a peer that is away, for the same reason. Half the socket's bound, so that a peer coming
 * back is not cut off again by what was held for it and its welcome, sent at once.
 */
export const MAX_HELD_BYTES = MAX_BUFFERED_BYTES / 2;

/**
 * How long a socket the relay closes gets to finish the closing handshake before it is cut. The ws default waits 30 s:
 * a client that never answers kept its socket, and what waited in it (up to MAX_BUFFERED_BYTES), that long, outside any
 * count of peers, since a refused or replaced socket is no longer one.
 */
export const CLOSE_WAIT_MS = 2000;

/**
 * Closes a socket with a code and reason, and cuts it if the client has not closed its side within CLOSE_WAIT_MS.
 * @param {import('ws').WebSocket} socket @param {number} code @param {string} reason
 */
function closeSoon(socket, code, reason) {
  socket.close(code, reason);
  setTimeout(() => socket.terminate(), CLOSE_WAIT_MS).unref();
}

export class Relay {
  /** @param {RelayOptions} [options] */
  constructor(options = {}) {
    this.options = {
      allowedOrigins: options.allowedOrigins ?? [],
      maxPeersPerRoom: options.maxPeersPerRoom ?? 16,
      maxPeers: options.maxPeers ?? 1000,
      token: options.token,
      pingIntervalMs: options.pingIntervalMs ?? 10_000,
      ratePerSecond: options.ratePerSecond ?? 50,
      burst: options.burst ?? 200,
      path: options.path ?? '/signal',
      graceMs: options.graceMs ?? 5000,
      log: options.log ?? (() => {}),
    };
    // Refused here, not served wrong: a path with no leading slash matches no request (every upgrade got a 404), and a
    // room limit under 2 refuses every call.
    const { path, maxPeersPerRoom, maxPeers, token } = this.options;
    if (!path.startsWith('/'))
      throw new TypeError(`the path must start with "/", got ${JSON.stringify(path)}`);
    // Compared with the path of each request as a browser sends it: percent-encoded, with no dot segments.
    const sent = new URL(path, 'http://relay').pathname;
    if (sent !== path)
      throw new TypeError(
        `the path must be written as browsers send it, ${JSON.stringify(sent)}, got ${JSON.stringify(path)}`,
      );
    // One holding what an address changes (see TOKEN_REFUSED) would refuse the right token at every join.
    if (token !== undefined && (token === '' || TOKEN_REFUSED.test(token)))
      throw new TypeError(
        'the token must not be empty nor hold spaces or + & # % (it goes in an address as it is: ' +
          'hex or base64url, such as `openssl rand -hex 24`, suit)',
      );
    if (!Number.isInteger(maxPeersPerRoom) || maxPeersPerRoom < 2)
      throw new TypeError(`the most peers in a room must be a whole number from 2, got ${maxPeersPerRoom}`);
    if (!Number.isInteger(maxPeers) || maxPeers < 2)
      throw new TypeError(`the most peers in all must be a whole number from 2, got ${maxPeers}`);
    // What follows is the relay's own state, private (its tests read it); the published types leave it out, so that
    // a TypeScript project using the relay needs no types of `ws`.
    /** @private @type {Map<string, Map<string, Client>>} The clients of each room, by peer id. */
    this.rooms = new Map();
    /** @private */
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
    this.wss.on('connection', (socket, request) => this.accept(socket, request));
    /** @private */
    this.pinger = setInterval(() => this.ping(), this.options.pingIntervalMs);
    this.pinger.unref();
    /** @private */
    this.closing = false;
    /** @private @type {Map<import('node:http').Server, UpgradeListener>} The servers attached to, with their listener. */
    this.servers = new Map();
  }

  /**
   * Serves the relay on an HTTP server's upgrade requests for its path. Other upgrades (a dev server's own hot reload
   * socket) are left to their owners; with no other owner there, they are answered 404, as a server with no upgrade
   * listener would refuse them: unanswered, each would hold its socket (and the server's close()) for good.
   * @param {import('node:http').Server} server
   */
  attach(server) {
    // Twice to one server, the second listener's handleUpgrade threw at the first client, inside the server's event:
    // the process stopped. Several servers (http and https) are fine.
    if (this.servers.has(server)) throw new Error('this relay is attached to that server already');
    /** @type {UpgradeListener} */
    const listener = (request, socket, head) => {
      if (this.handles(request))
        this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
      else if (server.listenerCount('upgrade') === 1) refuseUpgrade(socket, this.options.path);
    };
    this.servers.set(server, listener);
    server.on('upgrade', listener);
    return this;
  }

  /**
   * Whether an upgrade request is for the relay. A target that is no URL (`//[`, which Node's parser lets through) is
   * not: read unguarded, it threw in the server's `upgrade` event and so stopped the whole process.
   * @param {import('node:http').IncomingMessage} request
   */
  handles(request) {
    return parseTarget(request)?.pathname === this.options.path;
  }

  /** Peers per room, for monitoring and tests. */
  stats() {
    return {
      rooms: this.rooms.size,
      peers: [...this.rooms.values()].reduce((sum, room) => sum + room.size, 0),
    };
  }

  /** Says goodbye to every client (close 1001) and stops; resolves when all sockets are closed. */
  async close() {
    this.closing = true;
    clearInterval(this.pinger);
    for (const members of this.rooms.values())
      for (const client of members.values()) clearTimeout(client.graceTimer);
    const sockets = [...this.wss.clients];
    for (const socket of sockets) socket.close(1001, 'server shutting down');
    await Promise.race([
      Promise.all(
        sockets.map((s) => (s.readyState === s.CLOSED ? null : new Promise((r) => s.once('close', r)))),
      ),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    for (const socket of this.wss.clients) socket.terminate();
    await new Promise((resolve) => this.wss.close(() => resolve(undefined)));
    // Only now: an upgrade for the relay while it closed (a client reconnecting) is still answered (refused, 1001),
    // not left open, which held the server's close() for good. A relay attached to the same server after this one
    // closed gets the upgrades: this one would answer them 503.
    for (const [server, listener] of this.servers) server.off('upgrade', listener);
    this.servers.clear();
  }

  /**
   * @param {import('ws').WebSocket} socket
   * @param {import('node:http').IncomingMessage} request
   * @private
   */
  accept(socket, request) {
    // As for messages (see below), a throw here would stop the relay for every room: this one client goes instead.
    try {
      this.admit(socket, request);
    } catch (error) {
      this.options.log(`joining from ${request.socket.remoteAddress} failed: ${String(error).slice(0, 200)}`);
      socket.terminate();
    }
  }

  /**
   * @param {import('ws').WebSocket} socket
   * @param {import('node:http').IncomingMessage} request
   * @private
   */
  admit(socket, request) {
    // First: a socket's errors (a frame over the size limit, a reset) are thrown if nobody listens, and a client being
    // refused is still open during the closing handshake: one large frame then would end the process.
    socket.on('error', () => socket.terminate());
    const url = /** @type {URL} */ (parseTarget(request));
    const refuse = (
      /** @type {number} */ code,
      /** @type {string} */ error,
      /** @type {string} */ message,
    ) => {
      socket.send(JSON.stringify({ type: 'error', code: error, message }));
      closeSoon(socket, code, closeReason(message));
      this.options.log(`refused ${request.socket.remoteAddress}: ${message}`);
    };
    if (this.closing) return refuse(1001, 'shutting-down', 'server shutting down');
    const origin = request.headers.origin;
    const { allowedOrigins, token, maxPeersPerRoom, maxPeers } = this.options;
    if (allowedOrigins.length > 0 && !allowedOrigins.includes(origin ?? '')) {
      return refuse(
        CloseCode.forbiddenOrigin,
        'forbidden-origin',
        // The origin is the client's to choose: quoted and cut, so the message stays readable.
        `origin ${origin === undefined ? '(none)' : JSON.stringify(origin.slice(0, 60))} is not allowed`,
      );
    }
    if (token !== undefined && url.searchParams.get('token') !== token) {
      return refuse(CloseCode.unauthorized, 'unauthorized', 'wrong or missing token');
    }
    const room = url.searchParams.get('room') ?? '';
    if (!ROOM.test(room)) {
      return refuse(CloseCode.badRequest, 'bad-room', 'room must be 1 to 64 letters, digits or . _ ~ -');
    }
    const id = url.searchParams.get('id') ?? crypto.randomUUID();
    if (!PEER_ID.test(id))
      return refuse(CloseCode.badRequest, 'bad-id', 'id must be 8 to 64 letters, digits, _ or -');
    let meta;
    const metaParam = url.searchParams.get('meta');
    if (metaParam !== null) {
      try {
        meta = metaParam.length <= MAX_META_CHARS ? JSON.parse(metaParam) : undefined;
      } catch {
        meta = undefined;
      }
      // Measured as stored and sent in every welcome, as a `meta` message is: `1e20` in the address is 21 characters
      // once parsed.
      const fits = typeof meta === 'object' && meta !== null && JSON.stringify(meta).length <= MAX_META_CHARS;
      if (!fits || Array.isArray(meta))
        return refuse(
          CloseCode.badRequest,
          'bad-meta',
          `meta must be a JSON object of at most ${MAX_META_CHARS} characters`,
        );
    }
    const key = url.searchParams.get('key');
    if (key !== null && !PEER_KEY.test(key))
      return refuse(CloseCode.badRequest, 'bad-key', 'key must be 16 to 128 letters, digits, _ or -');
    const keyHash = key === null ? undefined : createHash('sha256').update(key).digest();
    const members = this.rooms.get(room) ?? new Map();
    let previous = members.get(id);
    if (previous?.leaving === 'leave') {
      // It said goodbye, and its socket is still closing: this is a new join, not a return. The room hears that it left,
      // then that it joined; taken for a return, the far sides kept their calls with a connection that was gone.
      members.delete(id);
      this.broadcast(previous, { type: 'left', id, reason: 'leave' });
      previous = undefined;
    }
    // Ids are public (every peer of the room learns them): a peer's key keeps another from taking its place, and its
    // messages, by naming its id.
    if (previous?.keyHash && !(keyHash && timingSafeEqual(previous.keyHash, keyHash))) {
      return refuse(
        CloseCode.idTaken,
        'id-taken',
        'that id is taken, and this connection does not have its key',
      );
    }
    if (!previous && members.size >= maxPeersPerRoom) {
      // A place kept for a peer whose socket dropped frees within its grace, unless it comes back: not a refusal for
      // good (a page reloaded as its old socket's place is still kept would never try again), but one to try again.
      if ([...members.values()].some((member) => member.graceTimer))
        return refuse(
          CloseCode.relayFull,
          'room-full',
          `room ${room} has ${maxPeersPerRoom} peers, some of them away for a few seconds; try again`,
        );
      return refuse(CloseCode.roomFull, 'room-full', `room ${room} already has ${maxPeersPerRoom} peers`);
    }
    // A peer coming back keeps its place; a new one waits for one (the client tries again, as 1013 asks).
    if (!previous && this.stats().peers >= maxPeers) {
      return refuse(
        CloseCode.relayFull,
        'relay-full',
        `the relay already has ${maxPeers} peers; try again later`,
      );
    }

    /** @type {Client} */
    const client = {
      socket,
      id,
      room,
      keyHash: previous?.keyHash ?? keyHash,
      meta: meta ?? previous?.meta ?? {},
      alive: true,
      // One cut off for flooding comes back to the bucket it left, not a full one: reconnecting must not be a way
      // around the limit.
      tokens: previous?.rateLimited ? previous.tokens : this.options.burst,
      refilledAt: previous?.rateLimited ? previous.refilledAt : Date.now(),
      // Its drops start over, so that one that floods again is told again, and one that only sends what it queued is
      // not cut off at once.
      dropped: 0,
    };
    if (previous?.graceTimer) {
      // The same peer back after its socket dropped: it gets what was held for it.
      clearTimeout(previous.graceTimer);
    } else if (previous) {
      // The same peer coming back before its old socket was found dead.
      previous.leaving = 'replaced';
      closeSoon(previous.socket, CloseCode.replaced, 'replaced by a newer connection');
    }
    members.set(id, client);
    this.rooms.set(room, members);
    this.send(client, {
      type: 'welcome',
      id,
      room,
      peers: [...members.values()].filter((c) => c !== client).map(peerOf),
      heartbeatMs: this.options.pingIntervalMs,
      // Relays differ (an older one took 64 KiB): a client sends nothing larger, which would close its socket.
      maxMessageBytes: MAX_MESSAGE_BYTES,
    });
    for (const held of previous?.held ?? []) this.send(client, held);
    this.broadcast(client, { type: 'joined', peer: peerOf(client) });

    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data, isBinary) => {
      // A throw here would be an uncaught exception: one client's message would stop the relay for every room.
      try {
        this.receive(client, data, isBinary);
      } catch (error) {
        this.options.log(
          `message from ${client.id} in ${client.room} failed: ${String(error).slice(0, 200)}`,
        );
        this.send(client, {
          type: 'error',
          code: 'internal-error',
          message: 'the relay could not handle that',
        });
      }
    });
    socket.on('close', () => this.remove(client));
  }

  /**
   * @param {Client} client
   * @param {import('ws').RawData} data
   * @param {boolean} isBinary
   * @private
   */
  receive(client, data, isBinary) {
    // A socket on its way out (rate limit, goodbye, replaced) is not heard any more: frames still arriving during the
    // closing handshake would each be refused again, and log the disconnection again.
    if (client.socket.readyState !== client.socket.OPEN) return;
    if (!this.takeToken(client)) return;
    const error = (
      /** @type {string} */ code,
      /** @type {string} */ message,
      /** @type {Record<string, unknown>} */ more = {},
    ) => this.send(client, { type: 'error', code, message, ...more });
    if (isBinary) return error('bad-message', 'messages must be JSON text');
    let message;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return error('bad-json', 'message is not JSON');
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return error('bad-message', 'message must be a JSON object');
    }
    if (nestsDeeper(message, MAX_NESTING)) {
      return error('bad-message', `message must not be nested more than ${MAX_NESTING} levels`);
    }
    switch (message.type) {
      case 'signal': {
        if (typeof message.to !== 'string') return error('bad-message', 'signal needs "to", a peer id');
        const target = this.rooms.get(client.room)?.get(message.to);
        // `to` says which message it was: one to a peer that left as it was sent is the sender's to ignore.
        if (!target || target === client)
          return error('unknown-peer', `no peer ${message.to.slice(0, 64)} in this room`, {
            to: message.to.slice(0, 64),
          });
        const signal = JSON.stringify({ type: 'signal', from: client.id, data: message.data });
        if (target.held) return this.hold(target, signal);
        return this.send(target, signal, true);
      }
      case 'meta': {
        const { meta } = message;
        if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
          return error('bad-message', 'meta must be a JSON object');
        }
        // As in the join URL: every newcomer's welcome carries the metadata of the whole room.
        if (JSON.stringify(meta).length > MAX_META_CHARS) {
          return error('bad-message', `meta must be at most ${MAX_META_CHARS} characters of JSON`);
        }
        client.meta = meta;
        return this.broadcast(client, { type: 'updated', peer: peerOf(client) });
      }
      case 'leave':
        client.leaving = 'leave';
        return closeSoon(client.socket, 1000, 'left');
      default: {
        // Only a string is echoed: String() of an object can throw (`{"toString": 1}`).
        const { type } = message;
        const shown =
          typeof type === 'string' ? JSON.stringify(type.slice(0, 32)) : `(${describeType(type)})`;
        return error('unknown-type', `unknown message type ${shown}`);
      }
    }
  }

  /**
   * A token bucket per connection: a flood is answered with one error, then dropped; a client that keeps flooding
   * is disconnected. Each message that passes takes one off the count of drops, rather than clearing it: a client
   * sending far over the rate, which gets a token every 20 ms, is flooding all along, and one a little over it, whose
   * passes outnumber its drops, is only slowed.
   * @param {Client} client
   * @private
   */
  takeToken(client) {
    const { ratePerSecond, burst } = this.options;
    const now = Date.now();
    client.tokens = Math.min(burst, client.tokens + ((now - client.refilledAt) / 1000) * ratePerSecond);
    client.refilledAt = now;
    if (client.tokens >= 1) {
      client.tokens -= 1;
      client.dropped = Math.max(0, client.dropped - 1);
      return true;
    }
    client.dropped++;
    if (client.dropped === 1) {
      this.send(client, {
        type: 'error',
        code: 'rate-limited',
        message: `more than ${ratePerSecond} messages per second`,
      });
    }
    if (client.dropped > burst) {
      client.rateLimited = true;
      closeSoon(client.socket, CloseCode.rateLimited, 'rate limit exceeded');
      this.options.log(`disconnected ${client.id} in ${client.room}: rate limit`);
    }
    return false;
  }

  /**
   * @param {Client} client
   * @private
   */
  remove(client) {
    const members = this.rooms.get(client.room);
    if (members?.get(client.id) !== client) return; // replaced by a newer connection: nobody left
    if (!client.leaving && !this.closing && this.options.graceMs > 0) {
      // Vanished without goodbye: keep the place for a while, it may be a network blip.
      client.held ??= []; // already set if the relay cut it off (see send)
      client.graceTimer = setTimeout(() => {
        client.graceTimer = undefined;
        client.leaving = 'gone';
        this.remove(client);
      }, this.options.graceMs);
      client.graceTimer.unref();
      return;
    }
    members.delete(client.id);
    if (members.size === 0) this.rooms.delete(client.room);
    if (!this.closing)
      this.broadcast(client, { type: 'left', id: client.id, reason: client.leaving ?? 'gone' });
  }

  /**
   * Terminates clients that did not answer the last ping, pings the others: a WebSocket ping, which the browser
   * answers, and a text frame, which the page sees (see the protocol above).
   * @private
   */
  ping() {
    for (const members of this.rooms.values()) {
      for (const client of members.values()) {
        if (client.held) continue; // away: its socket is closed already
        if (!client.alive) {
          client.socket.terminate();
          continue;
        }
        client.alive = false;
        client.socket.ping();
        this.send(client, HEARTBEAT);
      }
    }
  }

  /**
   * @param {Client} from
   * @param {object} message
   * @private
   */
  broadcast(from, message) {
    const data = Buffer.from(JSON.stringify(message));
    for (const client of this.rooms.get(from.room)?.values() ?? []) {
      if (client !== from) this.send(client, data);
    }
  }

  /**
   * Sends to a client, and cuts it off if too much now waits for it (see MAX_BUFFERED_BYTES). Sent as bytes, which
   * the socket counts as bytes (it counts a string in characters). Terminated, not closed: a close frame would wait
   * behind the backlog, which stays in memory until the socket is gone. It keeps its place, as a socket found gone
   * does, but nothing is held for it (see heldFull): what waited for it is lost.
   * @param {Client} client
   * @param {object | string | Buffer} message
   * @param {boolean} [signal] Whether it is a signal from a peer (see heldFull).
   * @private
   */
  send(client, message, signal = false) {
    const { socket } = client;
    if (socket.readyState !== socket.OPEN) {
      // A signal for a socket closing, and not yet found closed: lost, so nothing is held after it (see heldFull).
      // News of the room lost so is made up for by the welcome on return.
      if (signal) client.heldFull = true;
      return;
    }
    const data = Buffer.isBuffer(message)
      ? message
      : Buffer.from(typeof message === 'string' ? message : JSON.stringify(message));
    socket.send(data, { binary: false });
    if (socket.bufferedAmount <= MAX_BUFFERED_BYTES) return;
    socket.terminate();
    // What waited for it is lost with the socket: nothing later is held either, so no message comes after a gap (the
    // kit sends what matters again).
    client.held ??= [];
    client.heldFull = true;
    this.options.log(`disconnected ${client.id} in ${client.room}: too slow`);
  }

  /**
   * Keeps a message for a peer that is away, within the bounds (MAX_HELD, MAX_HELD_BYTES), in order and without gaps.
   * @param {Client} client
   * @param {string} signal
   * @private
   */
  hold(client, signal) {
    const heldBytes = (client.heldBytes ?? 0) + Buffer.byteLength(signal);
    client.heldFull ||= client.held?.length === MAX_HELD || heldBytes > MAX_HELD_BYTES;
    if (client.heldFull) return;
    client.held?.push(signal);
    client.heldBytes = heldBytes;
  }
}

/** @param {Client} client */
const peerOf = (client) => ({ id: client.id, meta: client.meta });

/** @param {unknown} value */
const describeType = (value) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;

/**
 * Whether parsed JSON nests objects and arrays more than `limit` levels deep; without recursion, so any depth is safe.
 * @param {unknown} value
 * @param {number} limit
 */
function nestsDeeper(value, limit) {
  /** @type {[unknown, number][]} */
  const pending = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * The URL a request asks for, or undefined for a target that is no URL.
 * @param {import('node:http').IncomingMessage} request
 */
export function parseTarget(request) {
  try {
    return new URL(request.url ?? '/', 'http://relay');
  } catch {
    return undefined;
  }
}

/** A WebSocket close reason holds at most 123 bytes of UTF-8 (RFC 6455, 5.5); `ws` throws on a longer one. */
const MAX_CLOSE_REASON_BYTES = 123;

/** @param {string} message */
function closeReason(message) {
  let reason = message;
  while (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) reason = reason.slice(0, -1);
  return reason;
}

/**
 * Answers an upgrade for another path 404 and lets its socket go.
 * @param {import('node:stream').Duplex} socket
 * @param {string} path The relay's path, named in the answer.
 */
function refuseUpgrade(socket, path) {
  // The server took its own error listener off the socket as it handed it over: a client that resets it now would
  // make an unhandled error, which stops the process.
  socket.on('error', () => socket.destroy());
  // Once the answer is out, the socket goes: end() only half-closes it, and a client that never closes its side kept
  // it open for good (an upgraded socket has no HTTP timeouts), and with it close() and the CLI's shutdown.
  socket.once('finish', () => socket.destroy());
  // Whatever the client sent after its request is read and dropped: closed with it unread, the socket would send a
  // reset, which may discard the 404 before the client reads it.
  socket.resume();
  const body = `no WebSocket here; the relay is at ${path}\n`;
  socket.end(
    `HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

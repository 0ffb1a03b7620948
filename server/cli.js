#!/usr/bin/env node
// @ts-check
import { parseArgs } from 'node:util';
import { startRelayServer } from './http.js';

const usage = `Usage: webrtc-elements-relay [options]

  --port N              port to listen on (default 8787; 0 picks a free one)
  --host ADDRESS        address to listen on (default 127.0.0.1)
  --allowed-origins L   comma-separated origins allowed to connect (default: any)
  --max-peers N         most peers in one room (default 16)
  --max-peers-total N   most peers in all rooms together (default 1000)
  --token SECRET        clients must pass ?token=SECRET
  --path P              URL path of the relay (default /signal)
  --help                this text`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'allowed-origins': { type: 'string' },
      'max-peers': { type: 'string' },
      'max-peers-total': { type: 'string' },
      token: { type: 'string' },
      path: { type: 'string' },
      help: { type: 'boolean' },
    },
  }));
} catch (error) {
  console.error(`${/** @type {Error} */ (error).message}\n\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}

/** @param {string | undefined} value @param {string} name @param {number} min @param {number} max */
const integer = (value, name, min, max = Number.MAX_SAFE_INTEGER) => {
  if (value === undefined) return undefined;
  // Digits only: Number() takes "" (and " ", "0x50", "1e3") as numbers, and an empty --port listened on a random one.
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    console.error(`--${name} must be a whole number ${range}, got ${JSON.stringify(value)}\n\n${usage}`);
    process.exit(2);
  }
  return number;
};

/**
 * An option that must not be empty when given: a script passing an unset variable (`--token "$TOKEN"`) would otherwise
 * open the relay up, as an empty origin list allows any origin, an empty host listens on every address, and an empty
 * token is one that anybody has.
 * @param {string | undefined} value @param {string} name
 */
const given = (value, name) => (value === undefined || value.trim() !== '' ? value : refuseEmpty(name));

/** @param {string} name @returns {never} */
function refuseEmpty(name) {
  console.error(`--${name} must not be empty\n\n${usage}`);
  process.exit(2);
}

const allowedOrigins = values['allowed-origins']
  ?.split(',')
  .map((o) => o.trim())
  .filter(Boolean);
// Empty, or only commas and spaces.
if (allowedOrigins?.length === 0) refuseEmpty('allowed-origins');

const options = {
  port: integer(values.port, 'port', 0, 65535),
  // Pasted with a space (`--host " 0.0.0.0"`), the address would fail to resolve.
  host: given(values.host, 'host')?.trim(),
  allowedOrigins,
  maxPeersPerRoom: integer(values['max-peers'], 'max-peers', 2),
  maxPeers: integer(values['max-peers-total'], 'max-peers-total', 2),
  token: given(values.token, 'token'),
  path: values.path,
  log: (/** @type {string} */ line) => console.log(line),
};
let running;
try {
  running = await startRelayServer(options);
} catch (error) {
  // A bad option (a path with no leading slash), or a port taken or not ours to use: said in one line, not a stack.
  const bad = error instanceof TypeError;
  console.error(
    `cannot start the relay: ${/** @type {Error} */ (error).message}${bad ? `\n\n${usage}` : ''}`,
  );
  process.exit(bad ? 2 : 1);
}
console.log(`relay listening on ${running.url}`);

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, async () => {
    console.log('shutting down');
    await running.close();
    process.exit(0);
  });
}

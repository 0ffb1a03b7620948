// @ts-check
/**
 * npm's `prepare`: builds the library when a file the exports map names is missing. That is the case in the clone npm
 * makes when the kit is installed from git (`npm install github:owner/repo`, which runs `prepare` and nothing else of
 * ours), and after the first `npm install` or `npm ci` of a fresh checkout. Once `dist/` is there, an install here
 * leaves it alone: `npm test` and `npm pack` (its `prepack`) build afresh anyway.
 */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** @type {{ exports: Record<string, string | Record<string, string>> }} */
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const targets = Object.values(manifest.exports).flatMap((target) =>
  typeof target === 'string' ? [target] : Object.values(target),
);
const missing = targets.filter((file) => !existsSync(file));
if (missing.length > 0) {
  console.log(`webrtc-elements: building, as ${missing[0]} is missing`);
  execSync('npm run build', { stdio: 'inherit' });
}

// @ts-check
/**
 * npm's `prepare`: builds the library when a file the exports map names is missing. That is the case in the clone npm
 * makes when the kit is installed from git (`npm install github:owner/repo`, which runs `prepare` and nothing else of
 * ours), and after the first `npm install` or `npm ci` of a fresh checkout. Once `dist/` is there, an install here
 * leaves it alone: `npm test` and `npm pack` (its `prepack`) build afresh anyway.
 */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** @type {{ exports: Record<string, string | Record<string, string>> }} */
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const targets = Object.values(manifest.exports).flatMap((target) =>
  typeof target === 'string' ? [target] : Object.values(target),
);
const missing = targets.filter((file) => !existsSync(file));
/** Whether the build's tools are installed: not with `npm ci --omit=dev` (a checkout that runs only the relay). */
const canBuild = ['vite', 'typescript'].every((tool) => {
  try {
    createRequire(import.meta.url).resolve(`${tool}/package.json`);
    return true;
  } catch {
    return false;
  }
});
if (missing.length > 0 && !canBuild) {
  console.log(`webrtc-elements: not building (${missing[0]} is missing, and so are the dev dependencies)`);
} else if (missing.length > 0) {
  console.log(`webrtc-elements: building, as ${missing[0]} is missing`);
  execSync('npm run build', { stdio: 'inherit' });
}

// Fails when custom-elements.json is not what `npm run analyze` makes of the sources now.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

// The analyzer takes --outdir relative to the working directory.
mkdirSync('node_modules/.cache', { recursive: true });
const outdir = mkdtempSync('node_modules/.cache/cem-check-');
try {
  execFileSync('npx', ['cem', 'analyze', '--outdir', outdir, '--quiet'], { stdio: 'inherit' });
  const fresh = readFileSync(join(outdir, 'custom-elements.json'), 'utf8');
  const committed = readFileSync('custom-elements.json', 'utf8');
  if (fresh !== committed) {
    console.error('custom-elements.json is stale: run `npm run analyze` and commit the result.');
    process.exit(1);
  }
  // The analyzer also lists events it infers from dispatchEvent calls, and takes a constructor's argument for the
  // name (`new PeerJoinedEvent(peer)` became an event `peer`): each event listed must be one an `@fires` documents.
  const wrong = [];
  for (const module of JSON.parse(committed).modules)
    for (const declaration of module.declarations ?? []) {
      if (!declaration.customElement) continue;
      for (const event of declaration.events ?? [])
        if (!event.description) wrong.push(`<${declaration.tagName}> ${event.name ?? '(no name)'}`);
    }
  if (wrong.length > 0) {
    console.error(`custom-elements.json lists events that no @fires documents: ${wrong.join(', ')}.`);
    process.exit(1);
  }
  console.log('custom-elements.json is up to date.');
} finally {
  rmSync(outdir, { recursive: true, force: true });
}

// Runs tuf-js's Updater (an independent TUF client) against a repository served over HTTP.
//
// Usage: node client.mjs METADATA_DIR METADATA_URL TARGET_BASE_URL TARGET_DIR TARGET_NAME...
// METADATA_DIR must hold the trusted root.json. Exits 0 when every target was verified and
// written into TARGET_DIR, 1 otherwise (the reason on stderr). Prints "ok <name> <path>".
import fs from 'node:fs';
import { Updater } from 'tuf-js';

const [metadataDir, metadataBaseUrl, targetBaseUrl, targetDir, ...names] = process.argv.slice(2);
if (!metadataDir || !metadataBaseUrl || !targetBaseUrl || !targetDir || names.length === 0) {
  console.error('usage: node client.mjs METADATA_DIR METADATA_URL TARGET_BASE_URL TARGET_DIR NAME...');
  process.exit(2);
}

try {
  fs.mkdirSync(targetDir, { recursive: true });
  const updater = new Updater({ metadataDir, metadataBaseUrl, targetBaseUrl, targetDir });
  await updater.refresh();
  for (const name of names) {
    const info = await updater.getTargetInfo(name);
    if (!info) throw new Error(`target ${name} not found`);
    const path = (await updater.findCachedTarget(info)) ?? (await updater.downloadTarget(info));
    console.log(`ok ${name} ${path}`);
  }
} catch (err) {
  console.error(`tuf-js: ${err?.message ?? err}`);
  process.exit(1);
}

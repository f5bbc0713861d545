// Writes a small TUF repository with @tufjs/models (the model library of tuf-js), signed with
// ed25519 and ecdsa keys made here, for `trustctl tuf-client` to verify.
//
// Usage: node repo.mjs OUT_DIR
//   OUT_DIR/metadata/{1.root.json,root.json,timestamp.json,1.snapshot.json,1.targets.json,
//                     1.releases.json}
//   OUT_DIR/targets/<sha256>.<name> (consistent snapshot)
// Targets: "hello.txt" (top-level targets), "releases/v1.txt" (delegated role "releases").
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Metadata, MetadataKind, Signature } from '@tufjs/models';
import { canonicalize } from '@tufjs/canonical-json';

const out = process.argv[2];
if (!out) {
  console.error('usage: node repo.mjs OUT_DIR');
  process.exit(2);
}
const metaDir = path.join(out, 'metadata');
const targetDir = path.join(out, 'targets');
fs.mkdirSync(metaDir, { recursive: true });
fs.mkdirSync(targetDir, { recursive: true });

function makeKey(type) {
  let pair;
  let keyObj;
  if (type === 'ed25519') {
    pair = crypto.generateKeyPairSync('ed25519');
    const raw = pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    keyObj = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
  } else {
    pair = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    keyObj = {
      keytype: 'ecdsa',
      scheme: 'ecdsa-sha2-nistp256',
      keyval: { public: pair.publicKey.export({ format: 'pem', type: 'spki' }) },
    };
  }
  const keyid = crypto.createHash('sha256').update(canonicalize(keyObj)).digest('hex');
  const signer = (data) => {
    const sig = type === 'ed25519'
      ? crypto.sign(null, data, pair.privateKey)
      : crypto.sign('sha256', data, pair.privateKey);  // DER, as securesystemslib
    return new Signature({ keyID: keyid, sig: sig.toString('hex') });
  };
  return { keyid, keyObj, signer };
}

const expires = (days) => new Date(Date.now() + days * 86400e3).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

const keys = {
  root: makeKey('ed25519'),
  targets: makeKey('ecdsa'),
  snapshot: makeKey('ecdsa'),
  timestamp: makeKey('ed25519'),
};
const releases = makeKey('ed25519');

function build(kind, signed, signers) {
  const md = Metadata.fromJSON(kind, { signed, signatures: [] });
  for (const s of signers) md.sign(s, true);
  return Buffer.from(JSON.stringify(md.toJSON()));
}

function write(name, bytes) {
  fs.writeFileSync(path.join(metaDir, name), bytes);
}

const targetBytes = {
  'hello.txt': Buffer.from('hello from tuf-js\n'),
  'releases/v1.txt': Buffer.from('release one\n'),
};
const targetEntry = (name) => ({
  length: targetBytes[name].length,
  hashes: { sha256: sha256(targetBytes[name]) },
});
for (const [name, bytes] of Object.entries(targetBytes)) {
  const dir = path.posix.dirname(name);
  const file = `${sha256(bytes)}.${path.posix.basename(name)}`;
  fs.mkdirSync(path.join(targetDir, dir), { recursive: true });
  fs.writeFileSync(path.join(targetDir, dir, file), bytes);
}

const spec = '1.0.31';
const root = build(MetadataKind.Root, {
  _type: 'root', spec_version: spec, version: 1, expires: expires(365), consistent_snapshot: true,
  keys: Object.fromEntries(Object.values(keys).map((k) => [k.keyid, k.keyObj])),
  roles: Object.fromEntries(Object.entries(keys).map(([role, k]) => [role, { keyids: [k.keyid], threshold: 1 }])),
}, [keys.root.signer]);
write('1.root.json', root);
write('root.json', root);

const rel = build(MetadataKind.Targets, {
  _type: 'targets', spec_version: spec, version: 1, expires: expires(30),
  targets: { 'releases/v1.txt': targetEntry('releases/v1.txt') },
}, [releases.signer]);
write('1.releases.json', rel);

const top = build(MetadataKind.Targets, {
  _type: 'targets', spec_version: spec, version: 1, expires: expires(30),
  targets: { 'hello.txt': { ...targetEntry('hello.txt'), custom: { from: 'tuf-js' } } },
  delegations: {
    keys: { [releases.keyid]: releases.keyObj },
    roles: [{ name: 'releases', keyids: [releases.keyid], threshold: 1, terminating: true, paths: ['releases/*'] }],
  },
}, [keys.targets.signer]);
write('1.targets.json', top);

const snap = build(MetadataKind.Snapshot, {
  _type: 'snapshot', spec_version: spec, version: 1, expires: expires(30),
  meta: {
    'targets.json': { version: 1, length: top.length, hashes: { sha256: sha256(top) } },
    'releases.json': { version: 1 },
  },
}, [keys.snapshot.signer]);
write('1.snapshot.json', snap);

const ts = build(MetadataKind.Timestamp, {
  _type: 'timestamp', spec_version: spec, version: 1, expires: expires(1),
  meta: { 'snapshot.json': { version: 1, length: snap.length, hashes: { sha256: sha256(snap) } } },
}, [keys.timestamp.signer]);
write('timestamp.json', ts);

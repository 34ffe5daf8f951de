#!/usr/bin/env node
// Entry point of the `plover` command. The source is TypeScript, run by Node's own
// type stripping (Node >= 22.18). npm scripts and npx use the Node 24 that the
// project installs into node_modules/.bin, whatever the machine's Node is.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `plover: Node ${process.versions.node} is too old (needs 22.18 or newer).\n` +
      '  Run it through npm, which uses the Node 24 this project installs: npm start, npm run export, npx plover …',
  );
  process.exit(1);
}
// Node keeps what it compiled of plover's TypeScript (type stripping included) on disk
// (os.tmpdir()/node-compile-cache, or NODE_COMPILE_CACHE): a later command starts without
// compiling it again. The environment passes it on to the export's reading thread.
const { enableCompileCache } = await import('node:module');
const cache = enableCompileCache?.();
if (cache?.directory) process.env.NODE_COMPILE_CACHE ??= cache.directory;
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
if (code !== 0) process.exitCode = code;

// The startup-snapshot entry: `node --snapshot-blob F --build-snapshot` evaluates the whole plugin,
// client library included, once at build time; each run deserialises that heap and calls main.
import { startupSnapshot } from 'node:v8';
import { main } from './main.js';
import './kube/connect.js';

startupSnapshot.setDeserializeMainFunction(() => {
  // Node 20 puts the first user argument at argv[1]; newer versions repeat argv[0] there.
  const argv = process.argv;
  void main(argv[1] === argv[0] ? argv.slice(2) : argv.slice(1));
});

// Runs the playground's WebAssembly build in Node with an in-memory
// IndexedDB (the fake-indexeddb package), reloading it as a browser tab
// would, and prints what each load saw as one JSON object.
//
//   node persist.js WASM_EXEC_JS MAIN_WASM
'use strict';
require('fake-indexeddb/auto');
const fs = require('fs');
require(process.argv[2]);
const wasm = fs.readFileSync(process.argv[3]);

// start instantiates the module afresh: a page load. The previous instance
// keeps running but no longer owns the wirelab global.
async function start() {
  const go = new Go();
  const { instance } = await WebAssembly.instantiate(wasm, go.importObject);
  go.run(instance);
  const api = globalThis.wirelab;
  return { api, ready: JSON.parse(await api.ready) };
}

function call(api, method, params) {
  const out = JSON.parse(api[method](params));
  if (out.error) throw new Error(method + ': ' + out.error);
  return out;
}

function inbox(api, user) {
  const st = call(api, 'state');
  return st.users.find(u => u.name === user).mailboxes.find(m => m.name === 'INBOX').messages.map(m => m.uid);
}

function hasRecord(api, zone, text) {
  return call(api, 'zones', { zone }).zones[0].records.some(r => r.includes(text));
}

(async () => {
  const out = {};
  let { api, ready } = await start();
  out.first = { ready, bob: inbox(api, 'bob') };
  const s = call(api, 'openSession', { proto: 'pop3', device: 'laptop' }).session;
  out.quit = call(api, 'feed', { session: s, data: 'USER bob\r\nPASS builder\r\nDELE 1\r\nDELE 3\r\nQUIT\r\n' }).info.state;
  out.update = call(api, 'updateRecord', { zone: 'example.com', add: ['blog 300 IN A 198.51.100.77'] }).rcode;
  await api.flush();

  ({ api, ready } = await start());
  out.reload = { ready, bob: inbox(api, 'bob'), blog: hasRecord(api, 'example.com', 'blog.example.com.') };
  call(api, 'reset');
  await api.flush();

  ({ api, ready } = await start());
  out.afterReset = { ready, bob: inbox(api, 'bob'), blog: hasRecord(api, 'example.com', 'blog.example.com.') };
  console.log(JSON.stringify(out));
  process.exit(0);
})().catch(err => {
  console.error(err);
  process.exit(1);
});

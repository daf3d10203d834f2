// Drives inferd with Ollama's own JavaScript client (the `ollama` npm
// package), as the end-to-end tests ask: one JSON command on stdin, one JSON
// result on stdout.
//
//   {"host": "http://127.0.0.1:PORT", "action": ACTION, "params": {...}, "abort_after": N}
//
// Actions: generate, chat, embed, embeddings, show, pull (the method of the
// same name; with "stream": true in params the streamed parts are returned
// as {"parts": [...]}), list, ps, version (no params), abort (streams a chat
// and aborts it after N parts: {"received": N}).
// A server error is {"error": {"status", "message"}} (status null for an
// error sent inside a stream).
const path = require('path');
const {Ollama} = require(path.join(process.env.INFERD_NODE_MODULES, 'ollama'));

async function collect(stream) {
  const parts = [];
  for await (const part of stream) parts.push(part);
  return {parts};
}

async function run(cmd) {
  const client = new Ollama({host: cmd.host});
  const params = cmd.params || {};
  switch (cmd.action) {
    case 'generate':
    case 'chat':
    case 'pull': {
      const result = await client[cmd.action](params);
      return params.stream ? await collect(result) : result;
    }
    case 'embed':
    case 'embeddings':
    case 'show':
      return await client[cmd.action](params);
    case 'list':
    case 'ps':
    case 'version':
      return await client[cmd.action]();
    case 'abort': {
      const stream = await client.chat({...params, stream: true});
      let received = 0;
      try {
        for await (const part of stream) {
          if (++received >= cmd.abort_after) {
            stream.abort();
            break;
          }
        }
      } catch (e) {
        if (e.name !== 'AbortError') throw e;
      }
      return {received};
    }
    default:
      throw new Error('unknown action ' + cmd.action);
  }
}

run(JSON.parse(require('fs').readFileSync(0, 'utf8'))).then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (e) => {
      if (e && e.name === 'ResponseError') {
        process.stdout.write(JSON.stringify({error: {status: e.status_code, message: e.error}}));
      } else if (e instanceof Error && !(e instanceof TypeError) && e.name === 'Error') {
        // An {"error"} line inside a stream.
        process.stdout.write(JSON.stringify({error: {status: null, message: e.message}}));
      } else {
        process.stderr.write(String(e && e.stack || e));
        process.exit(2);
      }
    });

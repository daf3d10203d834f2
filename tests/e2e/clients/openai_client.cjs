// Drives inferd with OpenAI's own Node.js client (the `openai` npm package),
// as the end-to-end tests ask: one JSON command on stdin, one JSON result
// on stdout.
//
//   {"base_url": "http://127.0.0.1:PORT/v1", "api": "chat"|"completions"|"embeddings",
//    "action": "create"|"stream"|"abort"|"concurrent"|"models",
//    "params": {...} | [{...}, ...], "abort_after": N}
//
// create: the response object. stream: {"chunks": [...]}. abort: reads N
// chunks, aborts the request, {"received": N}. concurrent: streams every
// params object at once, {"texts": [...]} in order. models: the model list.
// A client error is {"error": {"status", "code", "param", "type", "message"}}.
const path = require('path');
const OpenAI = require(path.join(process.env.INFERD_NODE_MODULES, 'openai')).default;

function endpoint(client, api) {
  if (api === 'embeddings') return client.embeddings;
  return api === 'chat' ? client.chat.completions : client.completions;
}

function textOf(api, chunk) {
  if (!chunk.choices || chunk.choices.length === 0) return '';
  const c = chunk.choices[0];
  return (api === 'chat' ? c.delta && c.delta.content : c.text) || '';
}

async function streamText(client, api, params) {
  const stream = await endpoint(client, api).create({...params, stream: true});
  let text = '';
  for await (const chunk of stream) text += textOf(api, chunk);
  return text;
}

async function run(cmd) {
  const client = new OpenAI({baseURL: cmd.base_url, apiKey: 'unused', maxRetries: 0, timeout: 120000});
  switch (cmd.action) {
    case 'models':
      return (await client.models.list()).data;
    case 'create':
      return await endpoint(client, cmd.api).create(cmd.params);
    case 'stream': {
      const stream = await endpoint(client, cmd.api).create({...cmd.params, stream: true});
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      return {chunks};
    }
    case 'abort': {
      const controller = new AbortController();
      const stream = await endpoint(client, cmd.api).create(
          {...cmd.params, stream: true}, {signal: controller.signal});
      let received = 0;
      try {
        for await (const chunk of stream) {
          if (++received >= cmd.abort_after) {
            controller.abort();
            break;
          }
        }
      } catch (e) {
        if (!(e instanceof OpenAI.APIUserAbortError) && e.name !== 'AbortError') throw e;
      }
      return {received};
    }
    case 'concurrent':
      return {texts: await Promise.all(cmd.params.map((p) => streamText(client, cmd.api, p)))};
    default:
      throw new Error('unknown action ' + cmd.action);
  }
}

run(JSON.parse(require('fs').readFileSync(0, 'utf8'))).then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (e) => {
      if (e instanceof OpenAI.APIError) {
        process.stdout.write(JSON.stringify({error: {status: e.status, code: e.code, param: e.param,
                                                     type: e.type, message: e.message}}));
      } else {
        process.stderr.write(String(e && e.stack || e));
        process.exit(2);
      }
    });

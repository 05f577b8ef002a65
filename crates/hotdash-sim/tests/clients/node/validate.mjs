// Runs Shopify's official Node library over webhook deliveries the HotDash simulator signed.
//
// Usage: node validate.mjs <deliveries.json>
// The file is {"secret": "...", "deliveries": [{"id": "...", "headers": [[name, value], ...],
// "body_base64": "..."}]}. Each delivery is replayed over loopback HTTP to a server in this
// process, so `rawRequest` is a genuine http.IncomingMessage as the library's Node adapter
// expects, and `shopify.webhooks.validate` judges it. One line per delivery goes to stdout:
// RESULT {"id": "...", "valid": true|false, "reason": ..., "topic": ..., "webhookId": ...}

import '@shopify/shopify-api/adapters/node';
import {ApiVersion, LogSeverity, shopifyApi} from '@shopify/shopify-api';
import {readFileSync} from 'node:fs';
import http from 'node:http';

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate.mjs <deliveries.json>');
  process.exit(2);
}
const {secret, deliveries} = JSON.parse(readFileSync(file, 'utf8'));

const shopify = shopifyApi({
  apiKey: 'hotdash-sim',
  apiSecretKey: secret,
  apiVersion: ApiVersion.July26,
  hostName: 'localhost',
  isEmbeddedApp: false,
  // Keep stdout for results only.
  logger: {level: LogSeverity.Error, log: async (_severity, message) => console.error(message)},
});

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      // The library signs the string it is given; the simulator's bodies are UTF-8 JSON.
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const result = await shopify.webhooks.validate({rawBody, rawRequest: req, rawResponse: res});
      res.writeHead(200, {'content-type': 'application/json'});
      res.end(JSON.stringify(result));
    } catch (error) {
      res.writeHead(500, {'content-type': 'application/json'});
      res.end(JSON.stringify({valid: false, reason: `exception: ${error}`}));
    }
  });
});

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const {port} = server.address();

let failures = 0;
for (const delivery of deliveries) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/webhooks/shopify`, {
      method: 'POST',
      headers: delivery.headers,
      body: Buffer.from(delivery.body_base64, 'base64'),
    });
    const result = await response.json();
    console.log(`RESULT ${JSON.stringify({id: delivery.id, ...result})}`);
  } catch (error) {
    failures += 1;
    console.error(`${delivery.id}: ${error}`);
  }
}
server.close();
process.exit(failures === 0 ? 0 : 1);

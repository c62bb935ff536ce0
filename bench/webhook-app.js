// GitHub-scheme webhook verification in a Node.js app behind nginx, for
// bench/webhook.pl's "app" variant: the usual handler (the raw body
// collected, HMAC-SHA256 with crypto.createHmac, compared with
// crypto.timingSafeEqual), built-in modules only.  A verified webhook is
// answered 204 (the app's own handling is not part of the benchmark), any
// other 401.  Usage: node webhook-app.js PORT SECRET_FILE

'use strict';

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

const [port, secretFile] = process.argv.slice(2);
const secret = fs.readFileSync(secretFile, 'utf8').replace(/\s+$/, '');

function answer(res, status) {
    res.writeHead(status, { 'Content-Length': 0 });
    res.end();
}

const server = http.createServer((req, res) => {
    const chunks = [];

    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        if (req.method !== 'POST') {
            return answer(res, 401);
        }

        const body = Buffer.concat(chunks);
        const sig = Buffer.from(req.headers['x-hub-signature-256'] || '');
        const mac = Buffer.from('sha256=' + crypto.createHmac('sha256', secret)
                                                  .update(body).digest('hex'));

        if (sig.length !== mac.length || !crypto.timingSafeEqual(sig, mac)) {
            return answer(res, 401);
        }

        answer(res, 204);
    });
});

server.keepAliveTimeout = 300000;
server.headersTimeout = 301000;
server.listen(port, '127.0.0.1');

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

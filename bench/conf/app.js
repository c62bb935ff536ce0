// The precancel flow in a small Node.js server, for the benchmark's "app"
// variant: built-in http and crypto only, a keep-alive http.Agent to the
// provider stand-in.  Usage: node app.js PORT STANDIN_PORT KEY_FILE
//
// Per request, like the module: JSON body (app_id, the two fields when not
// empty, timestamp without milliseconds), HMAC-SHA512 of the exact body,
// POST /precancel, reply parsed, URL checked, 302.  Any failure answers
// 502 so the benchmark sees it.

'use strict';

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

const [port, standinPort, keyFile] = process.argv.slice(2);
const key = fs.readFileSync(keyFile, 'utf8').replace(/\s+$/, '');
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const ALLOW = /^https:\/\/[a-z0-9-]+\.example\.com\//;

function fail(res, why) {
    console.error('precancel failed: ' + why);
    res.writeHead(502, { 'Content-Type': 'text/plain' });
    res.end('bad gateway\n');
}

const server = http.createServer((req, res) => {
    if (req.url !== '/cancel' || (req.method !== 'GET' && req.method !== 'POST')) {
        res.writeHead(404);
        res.end();
        return;
    }

    req.resume();       // the browser's body, if any, is discarded

    const doc = { app_id: 'APP_BENCH' };
    const sub = req.headers['x-subscription-id'];
    const acct = req.headers['x-account-id'];

    if (sub) {
        doc.subscription_id = sub;
    }

    if (acct) {
        doc.account = { internal_id: acct };
    }

    doc.timestamp = new Date().toISOString().slice(0, 19) + 'Z';

    const body = JSON.stringify(doc);
    const sig = crypto.createHmac('sha512', key).update(body).digest('hex');

    const up = http.request({
        agent: agent,
        host: '127.0.0.1',
        port: standinPort,
        path: '/precancel',
        method: 'POST',
        headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
            'Signature': sig,
            'Signature-Public-Key': 'pk_test_1',
        },
    }, (pres) => {
        const chunks = [];
        pres.on('data', (c) => chunks.push(c));
        pres.on('end', () => {
            if (pres.statusCode < 200 || pres.statusCode > 299) {
                return fail(res, 'provider answered ' + pres.statusCode);
            }

            let r;
            try {
                r = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch (e) {
                return fail(res, 'reply is not JSON');
            }

            const url = r.url !== undefined ? r.url : r.message;

            if (r.valid !== true || typeof url !== 'string' || !ALLOW.test(url)) {
                return fail(res, 'bad reply');
            }

            res.writeHead(302, { 'Location': url, 'Cache-Control': 'no-store',
                                 'Content-Length': 0 });
            res.end();
        });
    });

    up.on('error', (e) => fail(res, e.message));
    up.end(body);
});

server.keepAliveTimeout = 300000;
server.headersTimeout = 301000;
server.listen(port, '127.0.0.1');

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

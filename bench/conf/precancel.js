// The precancel flow in njs 0.7 (Debian's libnginx-mod-http-js), for the
// benchmark's "njs" variant.  The KEY constant is filled in by bench/bench.pl
// (the generated file is 0600: nginx's master reads it at load time).
//
// What it does per request, like the module: JSON body (app_id, the two
// fields when not empty, timestamp without milliseconds), HMAC-SHA512 of
// the exact body with WebCrypto, POST through r.subrequest() to the
// internal location that holds proxy_pass, the reply parsed, the URL
// checked, 302.  Any failure answers 502 so the benchmark sees it.
//
// njs 0.7 runs each request in a fresh clone of the VM, top-level code
// included: reading the key file there would read it on every request
// (and as the worker's user), so the key is a constant of the script, and
// the CryptoKey has to be imported again on every request (there is no
// way to keep it across requests).

const KEY = @KEY_JSON@;
const ALLOW = /^https:\/\/[a-z0-9-]+\.example\.com\//;

function iso(d) {
    return d.toISOString().slice(0, 19) + 'Z';
}

async function cancel(r) {
    try {
        const doc = { app_id: 'APP_BENCH' };
        const sub = r.headersIn['X-Subscription-Id'];
        const acct = r.headersIn['X-Account-Id'];

        if (sub) {
            doc.subscription_id = sub;
        }

        if (acct) {
            doc.account = { internal_id: acct };
        }

        doc.timestamp = iso(new Date());

        const body = JSON.stringify(doc);

        const key = await crypto.subtle.importKey('raw', KEY,
                                  { name: 'HMAC', hash: 'SHA-512' },
                                  false, ['sign']);
        const sig = await crypto.subtle.sign('HMAC', key, body);

        r.variables.precancel_sig = Buffer.from(sig).toString('hex');

        const reply = await r.subrequest('/_precancel',
                                         { method: 'POST', body: body });

        if (reply.status < 200 || reply.status > 299) {
            throw new Error('provider answered ' + reply.status);
        }

        const res = JSON.parse(reply.responseText);
        const url = res.url !== undefined ? res.url : res.message;

        if (res.valid !== true || typeof url !== 'string'
            || !ALLOW.test(url))
        {
            throw new Error('bad reply');
        }

        r.headersOut['Cache-Control'] = 'no-store';
        r.return(302, url);

    } catch (e) {
        r.error('precancel failed: ' + e.message);
        r.return(502);
    }
}

export default { cancel };

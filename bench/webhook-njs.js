// GitHub-scheme webhook verification in njs 0.7 (Debian's
// libnginx-mod-http-js), for bench/webhook.pl's "njs" variant: what a user
// would write instead of "webhook_verify github".  The SECRET constant is
// filled in by bench/webhook.pl (the generated file is 0600: nginx's
// master reads it at load time).
//
// js_content, because only there does njs hand the body to the script
// (r.requestBuffer, and only when the whole body fits in
// client_body_buffer_size: a body in a temporary file cannot be checked,
// so it is refused).  HMAC-SHA256 of the exact body with njs's crypto
// module, compared without an early exit (njs 0.7 has no
// timingSafeEqual), then an internal redirect to the named location that
// proxies the body, as read, to the application.  Anything else: 401.
//
// njs 0.7 runs each request in a fresh clone of the VM, top-level code
// included: reading the secret file there would read it on every request
// (and as the worker's user), so the secret is a constant of the script.

const crypto = require('crypto');

const SECRET = @SECRET_JSON@;
const PREFIX = 'sha256=';

// the length of a hex digest is no secret; its characters are
function same(a, b) {
    let d = 0;

    if (a.length !== b.length) {
        return false;
    }

    for (let i = 0; i < a.length; i++) {
        d |= a.charCodeAt(i) ^ b.charCodeAt(i);
    }

    return d === 0;
}

function verify(r) {
    const sig = r.headersIn['X-Hub-Signature-256'];
    const body = r.requestBuffer;

    if (r.method !== 'POST' || typeof sig !== 'string'
        || !sig.startsWith(PREFIX) || body === undefined)
    {
        r.return(401);
        return;
    }

    const mac = crypto.createHmac('sha256', SECRET).update(body)
                      .digest('hex');

    if (!same(sig.slice(PREFIX.length), mac)) {
        r.return(401);
        return;
    }

    r.internalRedirect('@pass');
}

export default { verify };

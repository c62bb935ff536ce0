/*
 * The Chargebee Retention provider, a module of its own
 * (ngx_http_precancel_retention_module, see docs/providers.md): the
 * precancel body is JSON with the application id, the configured fields
 * and an ISO8601 timestamp, signed with HMAC-SHA512 (the Signature and
 * Signature-Public-Key headers); the reply is {"valid": true, "message":
 * URL} (or "url").  Its directives: precancel_app_id,
 * precancel_public_key, precancel_private_key_file, precancel_field.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_precancel.h"
#include "ngx_http_precancel_request.h"
#include "ngx_edge_secret.h"


#define NGX_HTTP_PRECANCEL_TIMESTAMP_LEN   (sizeof("1970-01-01T00:00:00Z") - 1)


typedef struct {
    ngx_str_t                        path;
    ngx_http_precancel_json_path_t   names;      /* into path.data */
    ngx_http_complex_value_t         value;
    ngx_uint_t                       slot;       /* its value's in flat */
} ngx_http_precancel_field_t;


typedef struct {
    ngx_str_t                        app_id;
    ngx_str_t                        public_key;
    ngx_edge_hmac_t                 *key;
    ngx_array_t                     *key_secrets;    /* forms, to redact */
    ngx_array_t                     *fields;     /* of the field_t */

    /* the body template, made at merge for locations with precancel_pass */
    ngx_http_precancel_json_node_t  *nodes;
    ngx_uint_t                       nnodes;
    ngx_http_precancel_json_flat_t   flat;
    ngx_uint_t                       timestamp_slot;
} ngx_http_precancel_retention_conf_t;


static ngx_int_t ngx_http_precancel_retention_body(ngx_http_request_t *r,
    void *conf, ngx_http_precancel_ctx_t *ctx, ngx_str_t *body);
static ngx_http_precancel_json_node_t *ngx_http_precancel_retention_tree(
    ngx_http_request_t *r, ngx_http_precancel_retention_conf_t *rcf,
    ngx_http_precancel_json_name_t *values);
static u_char *ngx_http_precancel_timestamp(void);
static ngx_int_t ngx_http_precancel_retention_headers(ngx_http_request_t *r,
    void *conf, ngx_http_precancel_ctx_t *ctx, ngx_str_t *body,
    ngx_list_t *headers);
static ngx_int_t ngx_http_precancel_retention_reply(ngx_http_request_t *r,
    void *conf, ngx_http_precancel_ctx_t *ctx, ngx_uint_t status,
    u_char *data, size_t len, ngx_str_t *url);
static ngx_int_t ngx_http_precancel_retention_preconf(ngx_conf_t *cf);
static void *ngx_http_precancel_retention_create(ngx_conf_t *cf);
static char *ngx_http_precancel_retention_merge(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_precancel_retention_init(ngx_conf_t *cf,
    ngx_http_precancel_loc_conf_t *plcf,
    ngx_http_precancel_retention_conf_t *rcf);
static char *ngx_http_precancel_build_tree(ngx_conf_t *cf,
    ngx_http_precancel_retention_conf_t *rcf);
static char *ngx_http_precancel_retention_key_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_precancel_retention_field(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_command_t  ngx_http_precancel_retention_commands[] = {

    { ngx_string("precancel_app_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_conf_string,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_precancel_retention_conf_t, app_id),
      NULL },

    { ngx_string("precancel_public_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_conf_string,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_precancel_retention_conf_t, public_key),
      NULL },

    { ngx_string("precancel_private_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_retention_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("precancel_field"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_precancel_retention_field,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_precancel_retention_module_ctx = {
    ngx_http_precancel_retention_preconf,  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_precancel_retention_create,   /* create location configuration */
    ngx_http_precancel_retention_merge     /* merge location configuration */
};


ngx_module_t  ngx_http_precancel_retention_module = {
    NGX_MODULE_V1,
    &ngx_http_precancel_retention_module_ctx, /* module context */
    ngx_http_precancel_retention_commands, /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* hashes are filled in when a location first uses the provider */
static ngx_http_precancel_header_t  ngx_http_precancel_retention_hd[] = {
    { ngx_string("Signature"), ngx_string("signature"), 0 },
    { ngx_string("Signature-Public-Key"), ngx_string("signature-public-key"),
      0 }
};

#define NGX_HTTP_PRECANCEL_RETENTION_NHD                                    \
    (sizeof(ngx_http_precancel_retention_hd)                                 \
     / sizeof(ngx_http_precancel_header_t))


static ngx_http_precancel_provider_t  ngx_http_precancel_retention = {
    .name = ngx_string("retention"),
    .module = &ngx_http_precancel_retention_module,
    .is_default = 1,
    .secret_headers = 1,
    .content_type = ngx_string("application/json"),
    .nheaders = NGX_HTTP_PRECANCEL_RETENTION_NHD,
    .body = ngx_http_precancel_retention_body,
    .add_headers = ngx_http_precancel_retention_headers,
    .reply = ngx_http_precancel_retention_reply,
};


static ngx_int_t
ngx_http_precancel_retention_body(ngx_http_request_t *r, void *conf,
    ngx_http_precancel_ctx_t *ctx, ngx_str_t *body)
{
    ngx_http_precancel_retention_conf_t *rcf = conf;

    u_char                          *p;
    size_t                           len;
    ngx_str_t                        value;
    ngx_uint_t                       i;
    ngx_http_precancel_field_t      *field;
    ngx_http_precancel_json_node_t  *nodes;
    ngx_http_precancel_json_name_t  *values;

    values = ngx_palloc(r->pool,
                        rcf->flat.nslots
                        * sizeof(ngx_http_precancel_json_name_t));
    if (values == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    field = rcf->fields ? rcf->fields->elts : NULL;

    for (i = 0; rcf->fields && i < rcf->fields->nelts; i++) {

        if (ngx_http_complex_value(r, &field[i].value, &value) != NGX_OK) {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           "field \"%V\" could not be "
                                           "evaluated", &field[i].path);
        }

        if (!ngx_http_precancel_utf8_valid(value.data, value.len)) {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_BAD_FIELD,
                                           "field \"%V\" is not valid UTF-8",
                                           &field[i].path);
        }

        values[field[i].slot].data = value.data;
        values[field[i].slot].len = value.len;
    }

    values[rcf->timestamp_slot].data = ngx_http_precancel_timestamp();
    values[rcf->timestamp_slot].len = NGX_HTTP_PRECANCEL_TIMESTAMP_LEN;

    /*
     * With every field set, as usual, the values go into the text the
     * template was flattened to; an empty one leaves its member out (and
     * an object left with no member goes too), which a copy of the
     * template's tree is written for
     */

    nodes = NULL;

    len = ngx_http_precancel_json_flat_len(&rcf->flat, values);

    if (len == 0) {
        nodes = ngx_http_precancel_retention_tree(r, rcf, values);
        if (nodes == NULL) {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           "out of memory");
        }

        len = ngx_http_precancel_json_len(nodes);
    }

    body->data = ngx_pnalloc(r->pool, len);
    if (body->data == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    if (nodes) {
        p = ngx_http_precancel_json_write(body->data, nodes);

    } else {
        p = ngx_http_precancel_json_flat_write(body->data, &rcf->flat,
                                               values);
    }

    if ((size_t) (p - body->data) != len) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "body length mismatch %uz != %uz",
                                       (size_t) (p - body->data), len);
    }

    body->len = len;

    return NGX_OK;
}


/* a copy of the template's tree with the request's values */

static ngx_http_precancel_json_node_t *
ngx_http_precancel_retention_tree(ngx_http_request_t *r,
    ngx_http_precancel_retention_conf_t *rcf,
    ngx_http_precancel_json_name_t *values)
{
    ngx_uint_t                       i;
    ngx_http_precancel_json_node_t  *nodes, *node;

    nodes = ngx_palloc(r->pool,
                       rcf->nnodes * sizeof(ngx_http_precancel_json_node_t));
    if (nodes == NULL) {
        return NULL;
    }

    /* children pointers are rebased into the copy */

    ngx_memcpy(nodes, rcf->nodes,
               rcf->nnodes * sizeof(ngx_http_precancel_json_node_t));

    for (i = 0; i < rcf->nnodes; i++) {
        if (nodes[i].children) {
            nodes[i].children = nodes + (nodes[i].children - rcf->nodes);
        }
    }

    for (i = 0; i < rcf->flat.nslots; i++) {
        node = &nodes[rcf->flat.node[i]];
        node->value = values[i].data;
        node->value_len = values[i].len;
    }

    return nodes;
}


/*
 * The ISO8601 UTC time of the request, formatted once a second: a worker
 * is single-threaded, and the body copies the bytes before the next call.
 */

static u_char *
ngx_http_precancel_timestamp(void)
{
    time_t     now;
    ngx_tm_t   tm;

    static time_t  last = -1;
    static u_char  timestamp[NGX_HTTP_PRECANCEL_TIMESTAMP_LEN + 1];

    now = ngx_time();

    if (now != last) {
        ngx_gmtime(now, &tm);

        (void) ngx_sprintf(timestamp, "%4d-%02d-%02dT%02d:%02d:%02dZ",
                           tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                           tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
        last = now;
    }

    return timestamp;
}


/* the signature of exactly the body's bytes, and the key's public half */

static ngx_int_t
ngx_http_precancel_retention_headers(ngx_http_request_t *r, void *conf,
    ngx_http_precancel_ctx_t *ctx, ngx_str_t *body, ngx_list_t *headers)
{
    ngx_http_precancel_retention_conf_t *rcf = conf;

    ngx_str_t    signature;
    const char  *failed;

    signature.len = ngx_edge_hmac_hex_len(rcf->key);
    signature.data = ngx_pnalloc(r->pool, signature.len);
    if (signature.data == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    if (ngx_edge_hmac_hex(rcf->key, body->data,
                          body->len, signature.data, &failed)
        != 0)
    {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "%s failed", failed);
    }

    if (ngx_http_precancel_push_header(headers,
                                       &ngx_http_precancel_retention_hd[0],
                                       &signature)
        != NGX_OK
        || ngx_http_precancel_push_header(headers,
                                          &ngx_http_precancel_retention_hd[1],
                                          &rcf->public_key)
           != NGX_OK)
    {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    /* one that would let its reader replay the call: never quoted back */

    ctx->request_secret = signature;

    return NGX_OK;
}


static ngx_int_t
ngx_http_precancel_retention_reply(ngx_http_request_t *r, void *conf,
    ngx_http_precancel_ctx_t *ctx, ngx_uint_t status, u_char *data,
    size_t len, ngx_str_t *url)
{
    size_t                           err_off;
    ngx_str_t                        message;
    ngx_int_t                        n;
    ngx_uint_t                       not_2xx;
    const char                      *err;
    ngx_http_precancel_json_want_t   wants[3];

    enum { WANT_VALID = 0, WANT_MESSAGE, WANT_URL };

    wants[WANT_VALID].path = "valid";
    wants[WANT_MESSAGE].path = "message";
    wants[WANT_URL].path = "url";

    if (ngx_http_precancel_read_json(r, ctx, data, len, wants, 3, &err,
                                     &err_off)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_null(&message);

    not_2xx = status < NGX_HTTP_OK
              || status >= NGX_HTTP_SPECIAL_RESPONSE;

    /* the provider's message is quoted only for a failure's reason */

    if (err == NULL
        && wants[WANT_MESSAGE].type == NGX_HTTP_PRECANCEL_JSON_STRING
        && (not_2xx
            || wants[WANT_VALID].type != NGX_HTTP_PRECANCEL_JSON_TRUE))
    {
        if (ngx_http_precancel_quote_message(r, ctx, &message,
                                             wants[WANT_MESSAGE].str,
                                             wants[WANT_MESSAGE].len)
            != NGX_OK)
        {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           "out of memory");
        }
    }

    if (not_2xx) {
        if (err == NULL
            && wants[WANT_VALID].type == NGX_HTTP_PRECANCEL_JSON_FALSE)
        {
            n = NGX_HTTP_PRECANCEL_REJECTED;

        } else {
            n = NGX_HTTP_PRECANCEL_UPSTREAM_STATUS;
        }

        return ngx_http_precancel_fail(r, ctx, n,
                                       "provider answered %ui%s%V",
                                       status,
                                       message.len ? ": " : "", &message);
    }

    if (err) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply is not valid JSON: "
                                       "%s at byte %uz", err, err_off);
    }

    if (wants[WANT_VALID].type == NGX_HTTP_PRECANCEL_JSON_FALSE) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_REJECTED,
                                       "provider answered %ui with "
                                       "\"valid\": false%s%V",
                                       status,
                                       message.len ? ": " : "", &message);
    }

    if (wants[WANT_VALID].type != NGX_HTTP_PRECANCEL_JSON_TRUE) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply has no boolean "
                                       "\"valid\"");
    }

    /* the provider's clients have used both "url" and "message" */

    if (wants[WANT_URL].type != NGX_HTTP_PRECANCEL_JSON_ABSENT) {
        n = WANT_URL;

    } else {
        n = WANT_MESSAGE;
    }

    if (wants[n].type != NGX_HTTP_PRECANCEL_JSON_STRING) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply has no session URL "
                                       "string in \"%s\"", wants[n].path);
    }

    url->data = (u_char *) wants[n].str;
    url->len = wants[n].len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_precancel_retention_preconf(ngx_conf_t *cf)
{
    return ngx_http_precancel_add_provider(cf, &ngx_http_precancel_retention);
}


static void *
ngx_http_precancel_retention_create(ngx_conf_t *cf)
{
    ngx_http_precancel_retention_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_precancel_retention_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->app_id = { 0, NULL };
     *     conf->public_key = { 0, NULL };
     *     conf->key_secrets = NULL;
     *     conf->nodes = NULL;
     *     conf->nnodes = 0;
     *     conf->flat = { NULL, 0, NULL, NULL, 0 };
     *     conf->timestamp_slot = 0;
     */

    conf->key = NGX_CONF_UNSET_PTR;
    conf->fields = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_precancel_retention_merge(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_precancel_retention_conf_t *prev = parent;
    ngx_http_precancel_retention_conf_t *conf = child;

    const char                     *here;
    ngx_http_precancel_loc_conf_t  *plcf;

    /* a directive of this provider given in this very block, for errors */

    here = NULL;

    if (conf->app_id.data) {
        here = "precancel_app_id";

    } else if (conf->public_key.data) {
        here = "precancel_public_key";

    } else if (conf->key != NGX_CONF_UNSET_PTR) {
        here = "precancel_private_key_file";

    } else if (conf->fields != NGX_CONF_UNSET_PTR) {
        here = "precancel_field";
    }

    ngx_conf_merge_str_value(conf->app_id, prev->app_id, "");
    ngx_conf_merge_str_value(conf->public_key, prev->public_key, "");

    /* the key's forms go with the key */

    if (conf->key == NGX_CONF_UNSET_PTR) {
        conf->key_secrets = prev->key_secrets;
    }

    ngx_conf_merge_ptr_value(conf->key, prev->key, NULL);
    ngx_conf_merge_ptr_value(conf->fields, prev->fields, NULL);

    plcf = ngx_http_precancel_conf_location(cf);

    if (plcf->uri.len == 0) {
        return NGX_CONF_OK;
    }

    if (!ngx_http_precancel_conf_uses(plcf,
                                      &ngx_http_precancel_retention_module))
    {
        /* inherited ones serve the locations of their own provider */

        return here ? ngx_http_precancel_conf_foreign(cf, plcf, here)
                    : NGX_CONF_OK;
    }

    return ngx_http_precancel_retention_init(cf, plcf, conf);
}


static char *
ngx_http_precancel_retention_init(ngx_conf_t *cf,
    ngx_http_precancel_loc_conf_t *plcf,
    ngx_http_precancel_retention_conf_t *rcf)
{
    const char  *missing;

    ngx_http_precancel_hash_headers(ngx_http_precancel_retention_hd,
                                    NGX_HTTP_PRECANCEL_RETENTION_NHD);

    if (rcf->app_id.len == 0) {
        missing = "precancel_app_id";

    } else if (rcf->public_key.len == 0) {
        missing = "precancel_public_key";

    } else if (rcf->key == NULL) {
        missing = "precancel_private_key_file";

    } else {
        /* what a reply that echoes the key must not show */

        plcf->secrets = rcf->key_secrets;

        return ngx_http_precancel_build_tree(cf, rcf);
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"precancel_pass\" requires \"%s\" in %V:%ui",
                  missing, &plcf->pass_file, plcf->pass_line);

    return NGX_CONF_ERROR;
}


/*
 * Lays the body out once per location: the root's children are app_id,
 * the fields (paths sharing a prefix share one object) and timestamp,
 * in that order (ngx_http_precancel_json_tree_build()); then flattens
 * it, and gives each field and the timestamp its slot.
 */

static char *
ngx_http_precancel_build_tree(ngx_conf_t *cf,
    ngx_http_precancel_retention_conf_t *rcf)
{
    size_t                          *leaf, n, len, nslots;
    ngx_uint_t                       i, slot, nfields;
    ngx_http_precancel_field_t      *field;
    ngx_http_precancel_json_flat_t  *flat;
    ngx_http_precancel_json_trie_t  *trie;
    ngx_http_precancel_json_path_t  *paths;
    ngx_http_precancel_json_node_t  *nodes;

    static ngx_http_precancel_json_path_t  app_id = {
        { { (const u_char *) "app_id", sizeof("app_id") - 1 } }, 1
    };
    static ngx_http_precancel_json_path_t  timestamp = {
        { { (const u_char *) "timestamp", sizeof("timestamp") - 1 } }, 1
    };

    nfields = rcf->fields ? rcf->fields->nelts : 0;
    field = nfields ? rcf->fields->elts : NULL;

    paths = ngx_palloc(cf->pool,
                       (nfields + 2) * sizeof(ngx_http_precancel_json_path_t));
    leaf = ngx_palloc(cf->pool, (nfields + 2) * sizeof(size_t));

    if (paths == NULL || leaf == NULL) {
        return NGX_CONF_ERROR;
    }

    paths[0] = app_id;

    for (i = 0; i < nfields; i++) {
        paths[i + 1] = field[i].names;
    }

    paths[nfields + 1] = timestamp;

    n = ngx_http_precancel_json_tree_size(paths, nfields + 2);

    nodes = ngx_palloc(cf->pool, n * sizeof(ngx_http_precancel_json_node_t));
    trie = ngx_palloc(cf->pool, n * sizeof(ngx_http_precancel_json_trie_t));

    if (nodes == NULL || trie == NULL) {
        return NGX_CONF_ERROR;
    }

    n = ngx_http_precancel_json_tree_build(paths, nfields + 2, nodes, trie,
                                           leaf);

    /* the application id is the one value known now: the rest are slots */

    nodes[leaf[0]].value = rcf->app_id.data;
    nodes[leaf[0]].value_len = rcf->app_id.len;

    rcf->nodes = nodes;
    rcf->nnodes = n;

    ngx_http_precancel_json_flat_size(nodes, &len, &nslots);

    flat = &rcf->flat;

    flat->text = ngx_pnalloc(cf->pool, len);
    flat->at = ngx_palloc(cf->pool, nslots * sizeof(size_t));
    flat->node = ngx_palloc(cf->pool, nslots * sizeof(size_t));

    if (flat->text == NULL || flat->at == NULL || flat->node == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_http_precancel_json_flat_build(flat, nodes);

    /*
     * the directives keep paths apart and off app_id and timestamp, so
     * each field and the timestamp is a slot of its own
     */

    if (flat->nslots != nfields + 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "precancel body template has %uz slots for "
                           "%ui fields and the timestamp", flat->nslots,
                           nfields);
        return NGX_CONF_ERROR;
    }

    for (slot = 0; slot < flat->nslots; slot++) {
        if (flat->node[slot] == leaf[nfields + 1]) {
            rcf->timestamp_slot = slot;
        }

        for (i = 0; i < nfields; i++) {
            if (flat->node[slot] == leaf[i + 1]) {
                field[i].slot = slot;
            }
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_precancel_retention_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_precancel_retention_conf_t *rcf = conf;

    size_t      len;
    ngx_str_t  *value, file;
    u_char      buf[NGX_EDGE_SECRET_MAX + 1];

    static const char  what[] = "precancel private key";

    if (rcf->key != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    file = value[1];

    if (ngx_edge_secret_read(cf, &file, what, buf, &len) != NGX_OK) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    /*
     * Besides the HMAC context, the key is kept in the forms a reply
     * could echo it in, so that they are redacted (and cleansed with the
     * configuration)
     */

    if (ngx_http_precancel_add_secret(cf, &rcf->key_secrets, buf,
                                      len)
        != NGX_OK)
    {
        OPENSSL_cleanse(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    rcf->key = ngx_edge_secret_hmac(cf, "SHA512", buf, len,
                                    what, &file);
    if (rcf->key == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_precancel_retention_field(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_precancel_retention_conf_t *rcf = conf;

    ngx_str_t                       *value;
    ngx_uint_t                       i;
    ngx_http_precancel_field_t      *field, *other;
    ngx_http_precancel_json_name_t  *name;
    ngx_http_precancel_json_path_e   rc;

    value = cf->args->elts;

    if (rcf->fields == NGX_CONF_UNSET_PTR) {
        rcf->fields = ngx_array_create(cf->pool, 4,
                                        sizeof(ngx_http_precancel_field_t));
        if (rcf->fields == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    field = ngx_array_push(rcf->fields);
    if (field == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(field, sizeof(ngx_http_precancel_field_t));

    field->path = value[1];

    /* names of [A-Za-z0-9_-], separated by single dots */

    rc = ngx_http_precancel_json_path_parse(value[1].data, value[1].len,
                                            &field->names);

    switch (rc) {

    case NGX_HTTP_PRECANCEL_JSON_PATH_OK:
        break;

    case NGX_HTTP_PRECANCEL_JSON_PATH_TRAILING_DOT:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid precancel_field path \"%V\": "
                           "it ends with \".\"", &value[1]);
        return NGX_CONF_ERROR;

    default: /* NGX_HTTP_PRECANCEL_JSON_PATH_INVALID */
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid precancel_field path \"%V\": "
                           "expected up to %d names of letters, "
                           "digits, \"_\" and \"-\" joined by \".\"",
                           &value[1], NGX_HTTP_PRECANCEL_JSON_PATH_NAMES);
        return NGX_CONF_ERROR;
    }

    name = &field->names.names[0];

    if ((name->len == 6 && ngx_strncmp(name->data, "app_id", 6) == 0)
        || (name->len == 9 && ngx_strncmp(name->data, "timestamp", 9) == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "precancel_field path \"%V\": \"%*s\" is set by "
                           "the module", &value[1], name->len, name->data);
        return NGX_CONF_ERROR;
    }

    /* one path may be neither another nor an object holding another */

    other = rcf->fields->elts;

    for (i = 0; i < rcf->fields->nelts - 1; i++) {

        if (ngx_http_precancel_json_path_overlap(&other[i].names,
                                                 &field->names))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "precancel_field path \"%V\" %s \"%V\"",
                               &value[1],
                               other[i].names.nnames == field->names.nnames
                               ? "is duplicate of" : "conflicts with",
                               &other[i].path);
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_precancel_conf_complex(cf, &value[2], &field->value)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}

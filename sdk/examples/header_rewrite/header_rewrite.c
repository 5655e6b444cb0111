/*
 * header_rewrite: sets and removes request headers as configured.
 *
 *   [[module]]
 *   name = "header_rewrite"
 *   path = "header_rewrite"
 *   [module.config]
 *   remove = ["X-Debug", "Proxy-Authorization"]
 *   set = { "X-Env" = "prod", "X-Request-Source" = "gantry" }
 *
 * `remove` runs before `set`, so a name in both ends up with the set value.
 * `set` replaces every existing header of that name. Plain C99 against
 * gantry/module.h only: a template for modules written in C.
 */
#include <gantry/module.h>

#include <stdlib.h>
#include <string.h>

/* One configured header; strings are the module's own copies because config
 * nodes are valid only during instance_new. */
typedef struct rewrite_header {
  char *name;
  char *value; /* NULL for removals */
} rewrite_header;

typedef struct rewrite {
  const gantry_host_api_t *host;
  gantry_module_t *self;
  rewrite_header *set;
  size_t nset;
  rewrite_header *remove;
  size_t nremove;
} rewrite;

static const gantry_config_key_t rewrite_keys[] = {
    {sizeof(gantry_config_key_t), GANTRY_SCOPE_MODULE, "set", GANTRY_CFG_TABLE, 0,
     "headers to set, name = \"value\"; replaces existing headers of that name"},
    {sizeof(gantry_config_key_t), GANTRY_SCOPE_MODULE, "remove", GANTRY_CFG_ARRAY, 0,
     "names of request headers to remove"},
    {sizeof(gantry_config_key_t), 0, NULL, 0, 0, NULL}};

/* ---- data path ---------------------------------------------------------- */

static gantry_str_t slice(const char *s) {
  gantry_str_t v;
  v.ptr = s;
  v.len = s != NULL ? strlen(s) : 0;
  return v;
}

static gantry_action_t rewrite_on_request_headers(void *inst, gantry_stream_t *s, void *conn_ctx,
                                                  void **stream_ctx) {
  const rewrite *rw = (const rewrite *)inst;
  size_t i;
  (void)conn_ctx;
  (void)stream_ctx;
  /* A missing header is not an error: remove answers GANTRY_ERR_NOENT. */
  for (i = 0; i < rw->nremove; ++i) rw->host->req_header_remove(s, slice(rw->remove[i].name));
  for (i = 0; i < rw->nset; ++i) {
    if (rw->host->req_header_set(s, slice(rw->set[i].name), slice(rw->set[i].value)) != GANTRY_OK)
      rw->host->log(rw->self, GANTRY_LOG_WARN, "could not set a configured header");
  }
  return GANTRY_CONTINUE;
}

/* ---- configuration (MAIN) ----------------------------------------------- */

static void free_headers(rewrite_header *h, size_t n) {
  size_t i;
  for (i = 0; i < n; ++i) {
    free(h[i].name);
    free(h[i].value);
  }
  free(h);
}

static void rewrite_instance_free(void *inst) {
  rewrite *rw = (rewrite *)inst;
  if (rw == NULL) return;
  free_headers(rw->set, rw->nset);
  free_headers(rw->remove, rw->nremove);
  free(rw);
}

static char *copy_slice(gantry_str_t v) {
  char *p = (char *)malloc(v.len + 1);
  if (p == NULL) return NULL;
  if (v.len > 0) memcpy(p, v.ptr, v.len);
  p[v.len] = '\0';
  return p;
}

/* RFC 9110 token characters. */
static int is_token(gantry_str_t v) {
  static const char extra[] = "!#$%&'*+-.^_`|~";
  size_t i;
  if (v.len == 0) return 0;
  for (i = 0; i < v.len; ++i) {
    char c = v.ptr[i];
    int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (c == '\0' || strchr(extra, c) == NULL)) return 0;
  }
  return 1;
}

/* No CR, LF or NUL: a value must not be able to start a new header. */
static int is_field_value(gantry_str_t v) {
  size_t i;
  for (i = 0; i < v.len; ++i)
    if (v.ptr[i] == '\r' || v.ptr[i] == '\n' || v.ptr[i] == '\0') return 0;
  return 1;
}

/* Fills out[i] from the i-th entry of `node`: for a table the key is the
 * name and the value a string; for an array the element is the name. */
static gantry_status_t read_entry(const gantry_host_api_t *host, const gantry_cfg_t *node,
                                  size_t i, rewrite_header *out, gantry_error_t *err) {
  gantry_str_t key = {NULL, 0}, text = {NULL, 0};
  const gantry_cfg_t *child = host->cfg_at(node, i, &key);
  int is_table = host->cfg_type(node) == GANTRY_CFG_TABLE;
  if (child == NULL || host->cfg_string(child, &text) != GANTRY_OK) {
    host->error_at(err, child != NULL ? child : node, GANTRY_ERR_INVAL,
                   is_table ? "header values must be strings" : "header names must be strings");
    return GANTRY_ERR_INVAL;
  }
  if (!is_token(is_table ? key : text)) {
    host->error_at(err, child, GANTRY_ERR_INVAL, "not a valid header name");
    return GANTRY_ERR_INVAL;
  }
  if (is_table && !is_field_value(text)) {
    host->error_at(err, child, GANTRY_ERR_INVAL, "header value contains CR, LF or NUL");
    return GANTRY_ERR_INVAL;
  }
  out->name = copy_slice(is_table ? key : text);
  out->value = is_table ? copy_slice(text) : NULL;
  if (out->name == NULL || (is_table && out->value == NULL)) {
    host->error_set(err, GANTRY_ERR_NOMEM, "out of memory");
    return GANTRY_ERR_NOMEM;
  }
  return GANTRY_OK;
}

static gantry_status_t read_list(const gantry_host_api_t *host, const gantry_cfg_t *node,
                                 rewrite_header **out, size_t *count, gantry_error_t *err) {
  size_t i, n;
  if (node == NULL) return GANTRY_OK;
  n = host->cfg_size(node);
  if (n == 0) return GANTRY_OK;
  *out = (rewrite_header *)calloc(n, sizeof **out);
  if (*out == NULL) {
    host->error_set(err, GANTRY_ERR_NOMEM, "out of memory");
    return GANTRY_ERR_NOMEM;
  }
  for (i = 0; i < n; ++i) {
    gantry_status_t st;
    *count = i + 1; /* so that a failure frees what was filled */
    st = read_entry(host, node, i, &(*out)[i], err);
    if (st != GANTRY_OK) return st;
  }
  return GANTRY_OK;
}

static gantry_status_t rewrite_instance_new(const gantry_host_api_t *host, gantry_module_t *self,
                                            const gantry_cfg_t *config, void **inst,
                                            gantry_error_t *err) {
  gantry_status_t st;
  rewrite *rw = (rewrite *)calloc(1, sizeof *rw);
  if (rw == NULL) {
    host->error_set(err, GANTRY_ERR_NOMEM, "out of memory");
    return GANTRY_ERR_NOMEM;
  }
  rw->host = host;
  rw->self = self;
  st = read_list(host, host->cfg_get(config, "remove"), &rw->remove, &rw->nremove, err);
  if (st == GANTRY_OK) st = read_list(host, host->cfg_get(config, "set"), &rw->set, &rw->nset, err);
  if (st != GANTRY_OK) {
    rewrite_instance_free(rw);
    return st;
  }
  if (rw->nset == 0 && rw->nremove == 0)
    host->log(self, GANTRY_LOG_WARN, "neither `set` nor `remove` configured: nothing to do");
  *inst = rw;
  return GANTRY_OK;
}

/* ---- descriptor ---------------------------------------------------------- */

static const gantry_hooks_t rewrite_hooks = {
    sizeof(gantry_hooks_t),
    rewrite_instance_new,
    rewrite_instance_free,
    NULL, /* scope_new */
    NULL, /* scope_free */
    NULL, /* on_listen */
    NULL, /* on_accept */
    NULL, /* on_handshake */
    rewrite_on_request_headers,
    NULL, /* on_upgrade */
    NULL, /* on_connect_upstream */
    NULL, /* on_response_headers */
    NULL, /* on_tunnel_data */
    NULL, /* on_log */
    NULL, /* on_stream_end */
    NULL, /* on_conn_close */
    NULL, /* on_listening (1.1) */
    NULL  /* on_upgrade2 (1.1) */
};

static const gantry_module_desc_t rewrite_desc = {
    GANTRY_DESC_INIT,
    "header_rewrite",
    "1.0.0",
    "sets and removes request headers",
    GANTRY_CAP_HEADERS,
    rewrite_keys,
    &rewrite_hooks,
    NULL /* transport */
};

GANTRY_MODULE_ENTRY { return &rewrite_desc; }

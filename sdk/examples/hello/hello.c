/*
 * hello: the smallest useful gantry module. It adds one configurable header
 * to every response:
 *
 *   [[module]]
 *   name = "hello"
 *   path = "hello"
 *   [module.config]
 *   header = "X-Hello"   # optional, default "X-Hello"
 *   value = "world"      # required
 *
 * It shows the parts every module has: a key table the host validates, an
 * instance built from config on the main thread (config nodes are borrowed,
 * so strings are copied), a hook on the worker loops, and a paired free.
 */
#include <gantry/module.h>
#include <string.h>

typedef struct hello {
  const gantry_host_api_t *host;
  gantry_str_t header; /* owned copies, allocated with host->alloc */
  gantry_str_t value;
} hello_t;

static const char kDefaultHeader[] = "X-Hello";

/* A header name must be an HTTP token; a value must not split the head. */
static int is_token(gantry_str_t s) {
  size_t i;
  if (s.len == 0) return 0;
  for (i = 0; i < s.len; ++i) {
    unsigned char c = (unsigned char)s.ptr[i];
    if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?={}", c) != NULL) return 0;
  }
  return 1;
}

static int is_field_value(gantry_str_t s) {
  size_t i;
  for (i = 0; i < s.len; ++i) {
    unsigned char c = (unsigned char)s.ptr[i];
    if (c == '\r' || c == '\n' || c == '\0') return 0;
  }
  return 1;
}

static int copy_str(const gantry_host_api_t *host, gantry_str_t from, gantry_str_t *to) {
  char *p = (char *)host->alloc(from.len + 1);
  if (p == NULL) return 0;
  memcpy(p, from.ptr, from.len);
  p[from.len] = '\0';
  to->ptr = p;
  to->len = from.len;
  return 1;
}

static void hello_instance_free(void *inst) {
  hello_t *h = (hello_t *)inst;
  if (h == NULL) return;
  h->host->free((void *)h->header.ptr);
  h->host->free((void *)h->value.ptr);
  h->host->free(h);
}

static gantry_status_t hello_instance_new(const gantry_host_api_t *host, gantry_module_t *self,
                                          const gantry_cfg_t *config, void **inst,
                                          gantry_error_t *err) {
  gantry_str_t header = {kDefaultHeader, sizeof kDefaultHeader - 1};
  gantry_str_t value = {NULL, 0};
  const gantry_cfg_t *node;
  hello_t *h;
  (void)self;

  /* The host has already checked types and that `value` is present. */
  node = host->cfg_get(config, "header");
  if (node != NULL) {
    host->cfg_string(node, &header);
    if (!is_token(header)) {
      host->error_at(err, node, GANTRY_ERR_INVAL, "not a valid header name");
      return GANTRY_ERR_INVAL;
    }
  }
  node = host->cfg_get(config, "value");
  host->cfg_string(node, &value);
  if (!is_field_value(value)) {
    host->error_at(err, node, GANTRY_ERR_INVAL, "header value must not contain CR, LF or NUL");
    return GANTRY_ERR_INVAL;
  }

  h = (hello_t *)host->alloc(sizeof *h);
  if (h == NULL) {
    host->error_set(err, GANTRY_ERR_NOMEM, "out of memory");
    return GANTRY_ERR_NOMEM;
  }
  memset(h, 0, sizeof *h);
  h->host = host;
  if (!copy_str(host, header, &h->header) || !copy_str(host, value, &h->value)) {
    hello_instance_free(h);
    host->error_set(err, GANTRY_ERR_NOMEM, "out of memory");
    return GANTRY_ERR_NOMEM;
  }
  *inst = h;
  return GANTRY_OK;
}

static gantry_action_t hello_on_response_headers(void *inst, gantry_stream_t *s,
                                                 void *stream_ctx) {
  hello_t *h = (hello_t *)inst;
  (void)stream_ctx;
  /* The value is copied by the host, so the instance's strings can be shared
   * by every worker without locking. */
  h->host->resp_header_add(s, h->header, h->value);
  return GANTRY_CONTINUE;
}

static const gantry_config_key_t hello_keys[] = {
    {sizeof(gantry_config_key_t), GANTRY_SCOPE_MODULE, "header", GANTRY_CFG_STRING, 0,
     "name of the response header to set (default \"X-Hello\")"},
    {sizeof(gantry_config_key_t), GANTRY_SCOPE_MODULE, "value", GANTRY_CFG_STRING, 1,
     "value of that header"},
    {sizeof(gantry_config_key_t), 0, NULL, 0, 0, NULL},
};

static const gantry_hooks_t hello_hooks = {
    sizeof(gantry_hooks_t),
    hello_instance_new,
    hello_instance_free,
    NULL, /* scope_new */
    NULL, /* scope_free */
    NULL, /* on_listen */
    NULL, /* on_accept */
    NULL, /* on_handshake */
    NULL, /* on_request_headers */
    NULL, /* on_upgrade */
    NULL, /* on_connect_upstream */
    hello_on_response_headers,
    NULL, /* on_tunnel_data */
    NULL, /* on_log */
    NULL, /* on_stream_end */
    NULL, /* on_conn_close */
    NULL, /* on_listening (1.1) */
    NULL, /* on_upgrade2 (1.1) */
};

static const gantry_module_desc_t hello_desc = {
    GANTRY_DESC_INIT,
    "hello",
    "1.0.0",
    "adds a configurable header to every response",
    GANTRY_CAP_HEADERS,
    hello_keys,
    &hello_hooks,
    NULL,
};

GANTRY_MODULE_ENTRY { return &hello_desc; }

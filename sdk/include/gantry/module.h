/*
 * gantry module ABI, major version 1.
 *
 * This header is the whole contract between the gantry core and a module.
 * It is C99, includes only standard headers, and is usable from C and C++.
 *
 * VERSIONING POLICY
 *
 *   GANTRY_ABI_MAJOR  appears in the entry symbol's name (gantry_module_v1)
 *                     and in gantry_module_desc_t.abi_major. It changes only
 *                     when something is removed, or when the layout or the
 *                     meaning of an existing member changes. A host refuses
 *                     a module of another major with a message naming both.
 *   GANTRY_ABI_MINOR  is additive only: new members are appended at the END
 *                     of a struct, new enum values are appended with explicit
 *                     numbers, a changed function gets a new name (foo2) and
 *                     the old one keeps working until the next major.
 *   Patch releases    change documentation and bugs, never this layout.
 *
 *   Every struct that crosses the boundary starts with `uint32_t struct_size`.
 *   The reader copies min(theirs, mine) bytes and zero-fills the rest, so an
 *   old module runs on a new host (new hooks read as NULL = "not interested")
 *   and a new module on an old host as long as the host's minor is at least
 *   the module's `min_host_minor` (the host refuses otherwise, naming both
 *   versions). A module that lowers `min_host_minor` must test for newer
 *   host services with GANTRY_HOST_HAS(host, member) before calling them.
 *
 * RULES THAT KEEP THE ABI STABLE
 *
 *   - Only fixed-width integers, pointers, size_t, {ptr,len} slices and
 *     enums with explicit values (forced to 32 bits) cross the boundary.
 *   - Every core object is an opaque handle; the module asks the host
 *     through the function table it receives at instance creation.
 *   - Nothing may unwind across the boundary: no C++ exception, no longjmp.
 *   - Whoever allocates frees. Strings the module hands the host are copied
 *     by the host; strings the host hands the module are borrowed, valid as
 *     documented per call.
 *   - The module exports exactly one symbol, GANTRY_ENTRY_SYMBOL, returning
 *     a pointer to a static descriptor. Keep static constructors trivial:
 *     they run at dlopen, before any version check.
 *
 * THREADS
 *
 *   MAIN    the process's main thread: entry, instance_new/free,
 *           scope_new/free, transport ctx_new/ctx_free.
 *   LOOP    the worker loop that owns the connection: every connection and
 *           stream hook, transport sessions. Hooks of one connection never
 *           run concurrently with each other.
 *   ANY     any thread.
 *   One instance is used by all workers at once: it must be immutable after
 *   instance_new or synchronize itself. Per-worker state is indexed with
 *   host->worker_index() (0 .. host->worker_count()-1).
 */
#ifndef GANTRY_MODULE_H
#define GANTRY_MODULE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GANTRY_ABI_MAJOR 1
#define GANTRY_ABI_MINOR 2
#define GANTRY_ENTRY_SYMBOL "gantry_module_v1"

#if defined(_WIN32)
#define GANTRY_EXPORT __declspec(dllexport)
#else
#define GANTRY_EXPORT __attribute__((visibility("default")))
#endif
#ifdef __cplusplus
#define GANTRY_EXTERN_C extern "C"
#else
#define GANTRY_EXTERN_C
#endif

/* True when the host's function table is long enough to hold `member`. */
#define GANTRY_HOST_HAS(host, member)                                        \
  ((host) != NULL &&                                                         \
   (host)->struct_size >= offsetof(gantry_host_api_t, member) + sizeof((host)->member) && \
   (host)->member != NULL)

/* ---------------------------------------------------------------------- */
/* Basic types                                                             */
/* ---------------------------------------------------------------------- */

/* A borrowed byte slice. Not NUL-terminated unless a call says so. */
typedef struct gantry_str {
  const char *ptr;
  size_t len;
} gantry_str_t;

/* Status codes: 0 is success, negative values follow errno's names. */
typedef int32_t gantry_status_t;
#define GANTRY_OK 0
#define GANTRY_ERR_GENERIC (-1)
#define GANTRY_ERR_NOENT (-2)   /* no such key, header, backend */
#define GANTRY_ERR_NOMEM (-12)
#define GANTRY_ERR_BUSY (-16)   /* not allowed in this state/phase */
#define GANTRY_ERR_INVAL (-22)  /* bad argument or config value */
#define GANTRY_ERR_RANGE (-34)
#define GANTRY_ERR_NOTSUP (-95) /* not supported on this host or kernel */

/* What a hook asks the host to do next. Chains run in module order; the
 * first result other than CONTINUE/DECLINED ends the chain. A host treats a
 * value it does not know as GANTRY_CLOSE. */
typedef enum gantry_action {
  GANTRY_CONTINUE = 0, /* go on with the next module and the default path */
  GANTRY_DECLINED = 1, /* "not mine": same as CONTINUE for the chain */
  GANTRY_DONE = 2,     /* the module answered (respond()) or decided */
  GANTRY_CLOSE = 3,    /* close the connection now */
  GANTRY_PAUSE = 4,    /* wait; the module calls host->resume() later */
  GANTRY_ACTION_MAX_ = 0x7fffffff
} gantry_action_t;

typedef enum gantry_log_level {
  GANTRY_LOG_DEBUG = 0,
  GANTRY_LOG_INFO = 1,
  GANTRY_LOG_WARN = 2,
  GANTRY_LOG_ERROR = 3,
  GANTRY_LOG_LEVEL_MAX_ = 0x7fffffff
} gantry_log_level_t;

/* Capabilities a module declares (bits of gantry_module_desc_t.capabilities).
 * They are informational (listed by `gantry modules`) except TRANSPORT,
 * which makes the host look at desc->transport. */
#define GANTRY_CAP_TRANSPORT (1u << 0) /* provides a byte transport (TLS) */
#define GANTRY_CAP_ROUTING (1u << 1)   /* chooses backends, answers, denies */
#define GANTRY_CAP_UPGRADE (1u << 2)   /* validates protocol upgrades */
#define GANTRY_CAP_SOCKET (1u << 3)    /* tunes sockets */
#define GANTRY_CAP_HEADERS (1u << 4)   /* rewrites request/response headers */
#define GANTRY_CAP_LOG (1u << 5)       /* consumes log records */
#define GANTRY_CAP_TUNNEL (1u << 6)    /* observes tunnel bytes */

/* Opaque host objects. Their layout is the host's business. */
typedef struct gantry_module gantry_module_t;     /* the loaded module, for log() */
typedef struct gantry_error gantry_error_t;       /* error sink of a MAIN call */
typedef struct gantry_cfg gantry_cfg_t;           /* a node of the TOML config */
typedef struct gantry_listener gantry_listener_t; /* a listening socket */
typedef struct gantry_conn gantry_conn_t;         /* a client connection */
typedef struct gantry_stream gantry_stream_t;     /* one request/response exchange */

/* ---------------------------------------------------------------------- */
/* Configuration                                                           */
/* ---------------------------------------------------------------------- */

typedef enum gantry_cfg_type {
  GANTRY_CFG_ANY = 0, /* any type; the module checks it */
  GANTRY_CFG_BOOL = 1,
  GANTRY_CFG_INT = 2,
  GANTRY_CFG_FLOAT = 3, /* an integer is accepted too */
  GANTRY_CFG_STRING = 4,
  GANTRY_CFG_ARRAY = 5,
  GANTRY_CFG_TABLE = 6,
  GANTRY_CFG_DURATION = 7, /* string such as "250ms", "30s", "5m", "1h", or integer ms */
  GANTRY_CFG_SIZE = 8,     /* string such as "16k", "1m", or integer bytes */
  GANTRY_CFG_TYPE_MAX_ = 0x7fffffff
} gantry_cfg_type_t;

/* Where a key may appear. The MODULE scope is the `config` table of the
 * module's [[module]] entry. LISTENER and BACKEND keys live in a sub-table
 * named after the module, e.g. [listener.socket_tuning] or
 * [backend.socket_tuning], and are handed to hooks.scope_new. */
typedef enum gantry_scope {
  GANTRY_SCOPE_MODULE = 0,
  GANTRY_SCOPE_LISTENER = 1,
  GANTRY_SCOPE_BACKEND = 2,
  GANTRY_SCOPE_TRANSPORT = 3, /* keys of a [listener.tls] / [backend.tls] table
                                 that names this module's transport */
  GANTRY_SCOPE_MAX_ = 0x7fffffff
} gantry_scope_t;

/* One accepted config key. Arrays of these end with an entry whose name is
 * NULL. The host rejects unknown keys and wrong types with file:line before
 * the module sees the table. */
typedef struct gantry_config_key {
  uint32_t struct_size;
  uint32_t scope;    /* gantry_scope_t */
  const char *name;  /* NUL-terminated */
  uint32_t type;     /* gantry_cfg_type_t */
  uint32_t required; /* non-zero: missing key is an error */
  const char *doc;   /* one line, shown by `gantry modules` */
} gantry_config_key_t;

/* ---------------------------------------------------------------------- */
/* Transport (TLS provider)                                                */
/* ---------------------------------------------------------------------- */

/* Results of transport I/O calls. */
typedef enum gantry_io {
  GANTRY_IO_OK = 0,        /* progress was made (or nothing to do) */
  GANTRY_IO_WANT_READ = 1, /* needs more ciphertext from the peer */
  GANTRY_IO_CLOSED = 2,    /* the peer closed the session cleanly */
  GANTRY_IO_ERROR = 3,     /* fatal; the host closes the connection */
  GANTRY_IO_MAX_ = 0x7fffffff
} gantry_io_t;

/* Facts about a TLS session, as bytes. Every slice is borrowed from the
 * session and valid until the session is freed or the next transport call. */
typedef struct gantry_tls_info {
  uint32_t struct_size;
  uint32_t handshake_done; /* non-zero once established */
  gantry_str_t sni;        /* server name the client sent (server side) */
  gantry_str_t alpn;       /* negotiated protocol, e.g. "http/1.1" */
  gantry_str_t version;    /* e.g. "TLSv1.3" */
  gantry_str_t cipher;     /* e.g. "TLS_AES_128_GCM_SHA256" */
  gantry_str_t peer_der;   /* peer certificate, DER; empty if none */
  gantry_str_t peer_subject; /* one-line subject of the peer certificate */
  uint32_t peer_verified;  /* non-zero if the peer certificate verified */
  uint32_t resumed;        /* non-zero if the session was resumed */
  gantry_str_t library;    /* the TLS library's own version string */
} gantry_tls_info_t;

/* Per-session parameters handed to sess_new. */
typedef struct gantry_sess_params {
  uint32_t struct_size;
  uint32_t is_server;       /* 1: accept side of a listener; 0: to a backend */
  gantry_conn_t *conn;      /* client connection (server side), else NULL */
  gantry_str_t server_name; /* client side: SNI to send (may be empty) */
} gantry_sess_params_t;

/* A byte transport in memory-BIO style: the host owns the socket and moves
 * ciphertext; the transport never makes syscalls. After every call the host
 * drains pending ciphertext with peek_cipher/consume_cipher and writes it.
 * THREAD: ctx_* MAIN; sess_* and the I/O calls LOOP of the session. */
typedef struct gantry_transport {
  uint32_t struct_size;
  const char *name; /* provider name used in config: provider = "<name>" */

  /* Build a context from a [listener.tls] or [backend.tls] table (keys of
   * GANTRY_SCOPE_TRANSPORT). OWNERSHIP: *tctx belongs to the module until
   * ctx_free. The table is valid only during this call. */
  gantry_status_t (*ctx_new)(void *inst, const gantry_cfg_t *table, uint32_t is_server,
                             void **tctx, gantry_error_t *err);
  void (*ctx_free)(void *inst, void *tctx);

  gantry_status_t (*sess_new)(void *tctx, const gantry_sess_params_t *params, void **sess);
  void (*sess_free)(void *sess);

  /* Client side: start the handshake (queues the ClientHello). */
  gantry_io_t (*handshake)(void *sess);
  /* Ciphertext that arrived from the socket. *used may be < n when the
   * transport's input buffer is full; the host offers the rest later. */
  gantry_io_t (*feed_cipher)(void *sess, const uint8_t *p, size_t n, size_t *used);
  /* Decrypted bytes; also drives the handshake. *got == 0 with
   * GANTRY_IO_WANT_READ means: feed more ciphertext. */
  gantry_io_t (*read_plain)(void *sess, uint8_t *buf, size_t cap, size_t *got);
  /* Encrypt application bytes (after the handshake). */
  gantry_io_t (*write_plain)(void *sess, const uint8_t *p, size_t n, size_t *used);
  /* Pending ciphertext for the socket: returns its length and points *p at it.
   * The bytes stay valid until consume_cipher or the next call. */
  size_t (*peek_cipher)(void *sess, const uint8_t **p);
  void (*consume_cipher)(void *sess, size_t n);
  uint32_t (*handshake_done)(void *sess);
  /* Queue close_notify. */
  gantry_io_t (*shutdown)(void *sess);
  gantry_status_t (*info)(void *sess, gantry_tls_info_t *out);
} gantry_transport_t;

/* ---------------------------------------------------------------------- */
/* Log record                                                              */
/* ---------------------------------------------------------------------- */

/* One finished exchange. Times are microseconds since the request's first
 * byte; -1 means the phase did not happen. Slices are valid during on_log. */
typedef struct gantry_log_record {
  uint32_t struct_size;
  int32_t status;           /* status sent to the client, 0 if none */
  gantry_str_t method;
  gantry_str_t target;      /* request target as received */
  gantry_str_t backend;     /* backend name, empty if answered locally */
  gantry_str_t server;      /* "host:port" of the server used */
  gantry_str_t termination; /* "ok", "client_timeout", "server_error", ... */
  uint64_t bytes_in;        /* bytes read from the client for this exchange */
  uint64_t bytes_out;       /* bytes sent to the client for this exchange */
  int64_t t_head_us;        /* request head complete */
  int64_t t_connect_us;     /* upstream connection ready (reused: ~0) */
  int64_t t_response_us;    /* first response byte from upstream */
  int64_t t_total_us;       /* exchange finished */
  uint32_t upgraded;        /* non-zero if this exchange became a tunnel */
  uint32_t conn_reused;     /* non-zero if the upstream connection was pooled */
} gantry_log_record_t;

/* ---------------------------------------------------------------------- */
/* Host services                                                           */
/* ---------------------------------------------------------------------- */

typedef void (*gantry_post_cb)(void *arg);

/* A header handed to respond(). */
typedef struct gantry_header {
  gantry_str_t name;
  gantry_str_t value;
} gantry_header_t;

/* Which socket address conn_addr() returns. */
#define GANTRY_ADDR_PEER 0
#define GANTRY_ADDR_LOCAL 1

/* Handed to instance_new; valid for the life of the process. Every call
 * documents its THREAD and, for strings it returns, how long they live. */
typedef struct gantry_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  const char *host_version; /* NUL-terminated, e.g. "gantry 1.0.0" */

  /* --- ANY thread ----------------------------------------------------- */
  void (*log)(gantry_module_t *self, int32_t level, const char *msg);
  void *(*alloc)(size_t n);
  void (*free)(void *p);
  /* Record an error for the failing MAIN call; the host copies msg. */
  void (*error_set)(gantry_error_t *err, gantry_status_t code, const char *msg);
  /* Same, and the host reports the file:line of `node`. */
  void (*error_at)(gantry_error_t *err, const gantry_cfg_t *node, gantry_status_t code,
                   const char *msg);
  uint32_t (*worker_count)(void);
  /* 0..worker_count()-1 on a worker loop, -1 elsewhere. */
  int32_t (*worker_index)(void);
  /* Run cb(arg) on the loop of worker `worker` (or the main loop for -1). */
  gantry_status_t (*post)(int32_t worker, gantry_post_cb cb, void *arg);

  /* --- Config nodes: MAIN, only during the call that handed out the node */
  uint32_t (*cfg_type)(const gantry_cfg_t *node); /* gantry_cfg_type_t */
  /* Child of a table by key, or NULL. */
  const gantry_cfg_t *(*cfg_get)(const gantry_cfg_t *table, const char *key);
  /* Number of entries of a table or array (0 for scalars). */
  size_t (*cfg_size)(const gantry_cfg_t *node);
  /* i-th element of an array, or i-th value of a table (key in *key). */
  const gantry_cfg_t *(*cfg_at)(const gantry_cfg_t *node, size_t i, gantry_str_t *key);
  gantry_status_t (*cfg_string)(const gantry_cfg_t *node, gantry_str_t *out);
  gantry_status_t (*cfg_int)(const gantry_cfg_t *node, int64_t *out);
  gantry_status_t (*cfg_float)(const gantry_cfg_t *node, double *out);
  gantry_status_t (*cfg_bool)(const gantry_cfg_t *node, int32_t *out);
  gantry_status_t (*cfg_duration_ms)(const gantry_cfg_t *node, int64_t *out);
  gantry_status_t (*cfg_size_bytes)(const gantry_cfg_t *node, int64_t *out);
  /* Source position of a node; *file is NUL-terminated, valid for the call. */
  void (*cfg_where)(const gantry_cfg_t *node, const char **file, uint32_t *line,
                    uint32_t *column);
  /* Directory of the config file, for resolving relative paths. */
  gantry_str_t (*cfg_dir)(void);

  /* --- Connection: LOOP of the connection ------------------------------ */
  uint64_t (*conn_id)(gantry_conn_t *conn);
  /* Copies a struct sockaddr into sa; *len is its capacity in, size out. */
  gantry_status_t (*conn_addr)(gantry_conn_t *conn, int32_t which, void *sa, uint32_t *len);
  /* TLS facts; GANTRY_ERR_NOENT for a plain connection. */
  gantry_status_t (*conn_tls)(gantry_conn_t *conn, gantry_tls_info_t *out);
  /* Name of the listener the connection arrived on. */
  gantry_str_t (*conn_listener)(gantry_conn_t *conn);

  /* --- Stream (request/response): LOOP of its connection -------------
   * Returned slices stay valid until the stream ends or the same header is
   * changed, whichever comes first; once a stream becomes a tunnel (after a
   * 101) its heads are released and request/response getters find nothing.
   * Header names compare case-insensitively. Setters copy their arguments. */
  gantry_conn_t *(*stream_conn)(gantry_stream_t *s);
  gantry_str_t (*req_method)(gantry_stream_t *s);
  gantry_str_t (*req_target)(gantry_stream_t *s); /* as sent: path?query */
  gantry_str_t (*req_path)(gantry_stream_t *s);   /* target without query */
  gantry_str_t (*req_query)(gantry_stream_t *s);  /* after '?', empty if none */
  uint32_t (*req_version)(gantry_stream_t *s);    /* 10 or 11 */
  size_t (*req_header_count)(gantry_stream_t *s);
  gantry_status_t (*req_header_at)(gantry_stream_t *s, size_t i, gantry_str_t *name,
                                   gantry_str_t *value);
  /* idx-th header named `name` (0 = first); GANTRY_ERR_NOENT if absent. */
  gantry_status_t (*req_header_get)(gantry_stream_t *s, gantry_str_t name, size_t idx,
                                    gantry_str_t *value);
  gantry_status_t (*req_header_set)(gantry_stream_t *s, gantry_str_t name, gantry_str_t value);
  gantry_status_t (*req_header_add)(gantry_stream_t *s, gantry_str_t name, gantry_str_t value);
  gantry_status_t (*req_header_remove)(gantry_stream_t *s, gantry_str_t name);
  gantry_status_t (*req_set_target)(gantry_stream_t *s, gantry_str_t target);
  /* Choose the backend by name; GANTRY_ERR_NOENT if no such backend. */
  gantry_status_t (*route_to)(gantry_stream_t *s, gantry_str_t backend);
  gantry_str_t (*route_backend)(gantry_stream_t *s); /* chosen so far, or empty */
  /* Answer the request locally; the hook then returns GANTRY_DONE. Only
   * from on_request_headers or on_upgrade, or while such a hook holds the
   * stream paused: GANTRY_ERR_BUSY once the request has gone upstream. */
  gantry_status_t (*respond)(gantry_stream_t *s, int32_t status, const gantry_header_t *headers,
                             size_t nheaders, gantry_str_t body);
  /* Response side, valid from on_response_headers on. */
  int32_t (*resp_status)(gantry_stream_t *s);
  gantry_status_t (*resp_header_get)(gantry_stream_t *s, gantry_str_t name, size_t idx,
                                     gantry_str_t *value);
  gantry_status_t (*resp_header_set)(gantry_stream_t *s, gantry_str_t name, gantry_str_t value);
  gantry_status_t (*resp_header_add)(gantry_stream_t *s, gantry_str_t name, gantry_str_t value);
  gantry_status_t (*resp_header_remove)(gantry_stream_t *s, gantry_str_t name);
  /* Add a key=value pair to this exchange's access-log line. */
  gantry_status_t (*log_note)(gantry_stream_t *s, gantry_str_t key, gantry_str_t value);
  /* Continue a stream whose hook returned GANTRY_PAUSE. LOOP only: from
   * another thread, post() to the stream's worker first. */
  gantry_status_t (*resume)(gantry_stream_t *s, int32_t action);
  /* Per-connection/stream pick of a server: a stable key for hashing
   * balancers (e.g. a cookie value). Empty clears it. */
  gantry_status_t (*set_balance_key)(gantry_stream_t *s, gantry_str_t key);

  /* --- ABI 1.1: backend references, tunnel writes, check mode ---------- */
  /* MAIN, during instance_new and scope_new of the generation being built
   * (-1 at any other time): the index of the backend named `name` in that
   * generation, or -1 if there is none. A module resolves the names in its
   * config once, reports an unknown one with error_at (so `gantry -t`
   * refuses it with file:line), and routes with route_to_index. */
  int32_t (*backend_index)(gantry_str_t name);
  /* LOOP: route_to with an index from backend_index of the stream's own
   * generation; GANTRY_ERR_RANGE if there is no such backend. */
  gantry_status_t (*route_to_index)(gantry_stream_t *s, int32_t backend);
  /* LOOP, once the stream is a tunnel (typically from on_tunnel_data):
   * queue `n` bytes toward the client (GANTRY_DIR_SERVER_TO_CLIENT) or the
   * server (GANTRY_DIR_CLIENT_TO_SERVER), after what was relayed so far. The
   * host copies them. A hook that returns anything but CONTINUE/DECLINED
   * after sending ends the tunnel gracefully: what was queued is sent, then
   * both directions are shut down (e.g. a WebSocket Close frame reaches the
   * peer instead of a reset). GANTRY_ERR_BUSY if the stream is no tunnel. */
  gantry_status_t (*tunnel_send)(gantry_stream_t *s, uint32_t direction, const uint8_t *p,
                                 size_t n);
  /* ANY: non-zero while the host only checks a configuration (`gantry -t`):
   * instance_new and scope_new validate everything but write no file, open
   * no socket and start nothing. */
  uint32_t (*check_only)(void);

  /* --- ABI 1.1: module metrics ------------------------------------------
   * MAIN, during instance_new: declare a counter or a gauge. It is shown at
   * the admin listener's /metrics as gantry_<name>{module="<module>",<labels>}.
   * `name` matches [a-z_][a-z0-9_]* (without the gantry_ prefix; a counter's
   * name ends in _total). `labels` is empty or Prometheus label pairs, e.g.
   * `rule="3",action="deny"`, fixed for the series. The same module, name
   * and labels give the same id again in a later generation, so a counter
   * survives reloads. Returns an id >= 0, or -1 (bad name or labels, no room:
   * the host keeps at most 4096 series). */
  int32_t (*metric_register)(gantry_module_t *self, gantry_str_t name, gantry_str_t help,
                             uint32_t type, gantry_str_t labels);
  /* LOOP (a worker): add `delta` (a gauge may go down) to the calling
   * worker's own value of series `id`; values are summed over the workers
   * when scraped. No lock, no shared write. GANTRY_ERR_BUSY off a worker
   * loop, GANTRY_ERR_RANGE for an unknown id. */
  gantry_status_t (*metric_add)(int32_t id, int64_t delta);

  /* --- ABI 1.2 -------------------------------------------------------------
   * ANY: set gauge `id` to `value` outright, for a fact rather than a count
   * (a certificate's expiry time, as Unix seconds). A scrape shows this value
   * plus whatever workers added with metric_add. GANTRY_ERR_RANGE for an
   * unknown id, GANTRY_ERR_INVAL for a counter (counters only grow, through
   * metric_add). */
  gantry_status_t (*metric_set)(int32_t id, int64_t value);
} gantry_host_api_t;

/* metric_register types. */
#define GANTRY_METRIC_COUNTER 0
#define GANTRY_METRIC_GAUGE 1

/* ---------------------------------------------------------------------- */
/* Hooks                                                                   */
/* ---------------------------------------------------------------------- */

/* Tunnel directions for on_tunnel_data. */
#define GANTRY_DIR_CLIENT_TO_SERVER 0
#define GANTRY_DIR_SERVER_TO_CLIENT 1

/* Every member is optional: NULL means "not interested". `inst` is what
 * instance_new returned; `scope_ctx` is what scope_new returned for the
 * listener or backend at hand (NULL if the module has no keys there). */
typedef struct gantry_hooks {
  uint32_t struct_size;

  /* MAIN. Called once per config generation with the module's `config`
   * table (may be an empty table). OWNERSHIP: *inst is the module's until
   * instance_free, which the host calls on MAIN after the last connection
   * of that generation ended. */
  gantry_status_t (*instance_new)(const gantry_host_api_t *host, gantry_module_t *self,
                                  const gantry_cfg_t *config, void **inst, gantry_error_t *err);
  void (*instance_free)(void *inst);

  /* MAIN. Once per listener/backend of the generation whose table has a
   * sub-table named after the module (scope: gantry_scope_t). */
  gantry_status_t (*scope_new)(void *inst, uint32_t scope, const gantry_cfg_t *table,
                               void **scope_ctx, gantry_error_t *err);
  void (*scope_free)(void *inst, uint32_t scope, void *scope_ctx);

  /* MAIN, before listen(). fd is host-owned: setsockopt/getsockopt only. */
  gantry_action_t (*on_listen)(void *inst, void *scope_ctx, gantry_listener_t *l, int32_t fd);
  /* LOOP. A new client connection; the module may set *conn_ctx. */
  gantry_action_t (*on_accept)(void *inst, void *scope_ctx, gantry_conn_t *c, int32_t fd,
                               void **conn_ctx);
  /* LOOP. TLS established; facts via host->conn_tls(). */
  gantry_action_t (*on_handshake)(void *inst, gantry_conn_t *c, void *conn_ctx);
  /* LOOP. Request head parsed. Route, rewrite, respond or deny here. */
  gantry_action_t (*on_request_headers)(void *inst, gantry_stream_t *s, void *conn_ctx,
                                        void **stream_ctx);
  /* LOOP. The request asks to upgrade to `protocol` (e.g. "websocket").
   * CONTINUE allows it; DONE after respond() refuses it; DECLINED: not mine.
   * If no module allows an upgrade, the host drops the Upgrade header. */
  gantry_action_t (*on_upgrade)(void *inst, gantry_stream_t *s, void *stream_ctx,
                                gantry_str_t protocol);
  /* LOOP, before connect(). fd is host-owned: setsockopt/getsockopt only.
   * pending is the number of request bytes ready to send. */
  gantry_action_t (*on_connect_upstream)(void *inst, void *scope_ctx, gantry_stream_t *s,
                                         int32_t fd, size_t pending);
  /* LOOP. Response head from the backend, before it is sent on. */
  gantry_action_t (*on_response_headers)(void *inst, gantry_stream_t *s, void *stream_ctx);
  /* LOOP. Bytes relayed by a tunnel, observed in place (no copy). */
  gantry_action_t (*on_tunnel_data)(void *inst, gantry_stream_t *s, void *stream_ctx,
                                    uint32_t direction, const uint8_t *p, size_t n);
  /* LOOP. One finished exchange. */
  void (*on_log)(void *inst, gantry_stream_t *s, void *stream_ctx, const gantry_log_record_t *r);
  /* LOOP. Free stream_ctx / conn_ctx here. */
  void (*on_stream_end)(void *inst, gantry_stream_t *s, void *stream_ctx);
  void (*on_conn_close)(void *inst, gantry_conn_t *c, void *conn_ctx);

  /* --- ABI 1.1 --------------------------------------------------------- */
  /* LOOP of each worker, once its socket for the listener listens (after
   * listen(), unlike on_listen): options that only take on a listening
   * socket. fd is host-owned: setsockopt/getsockopt only. Anything but
   * CONTINUE/DECLINED is logged; the socket keeps listening. */
  gantry_action_t (*on_listening)(void *inst, void *scope_ctx, gantry_listener_t *l, int32_t fd);
  /* LOOP. on_upgrade with the stream context's slot, so state made while
   * the upgrade is checked lives on through the tunnel until on_stream_end.
   * A host of ABI >= 1.1 calls this instead of on_upgrade when both are set. */
  gantry_action_t (*on_upgrade2)(void *inst, gantry_stream_t *s, void **stream_ctx,
                                 gantry_str_t protocol);
} gantry_hooks_t;

/* ---------------------------------------------------------------------- */
/* Descriptor and entry point                                              */
/* ---------------------------------------------------------------------- */

typedef struct gantry_module_desc {
  uint32_t struct_size;
  uint32_t abi_major;      /* GANTRY_ABI_MAJOR the module was built for */
  uint32_t abi_minor;      /* GANTRY_ABI_MINOR the module was built for */
  uint32_t min_host_minor; /* oldest host minor it runs on */
  const char *name;        /* NUL-terminated, e.g. "acl_hyperscan" */
  const char *version;     /* the module's own version, e.g. "1.2.0" */
  const char *description; /* one line */
  uint64_t capabilities;   /* GANTRY_CAP_* */
  const gantry_config_key_t *config_keys; /* ends with name == NULL; may be NULL */
  const gantry_hooks_t *hooks;            /* may be NULL */
  const gantry_transport_t *transport;    /* with GANTRY_CAP_TRANSPORT */
} gantry_module_desc_t;

typedef const gantry_module_desc_t *(*gantry_module_entry_fn)(void);

/* Fill the version fields of a descriptor with this header's values. */
#define GANTRY_DESC_INIT                                                      \
  sizeof(gantry_module_desc_t), GANTRY_ABI_MAJOR, GANTRY_ABI_MINOR, GANTRY_ABI_MINOR

/* The one symbol a module exports:
 *   GANTRY_MODULE_ENTRY { return &my_desc; }                                */
#define GANTRY_MODULE_ENTRY \
  GANTRY_EXTERN_C GANTRY_EXPORT const gantry_module_desc_t *gantry_module_v1(void)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GANTRY_MODULE_H */

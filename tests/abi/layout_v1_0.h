/*
 * The released layout of module ABI 1.0, recorded from the 1.0 header on
 * LP64 (x86_64, aarch64). Every struct that crosses the boundary: its size,
 * alignment and the offset of every member; enum widths; constant values.
 *
 * A change here is an ABI break. A 1.x minor may only APPEND members: then
 * the sizes below grow (update them in a new layout_v1_<minor>.h, and keep
 * this file's offsets unchanged). Included by a C and a C++ translation unit.
 */
#ifndef GANTRY_TESTS_ABI_LAYOUT_V1_0_H
#define GANTRY_TESTS_ABI_LAYOUT_V1_0_H

#include <stddef.h>
#include <stdint.h>

#include "gantry/module.h"

#ifdef __cplusplus
#define GANTRY_LAYOUT(cond) static_assert(cond, #cond)
#define GANTRY_ALIGNOF(t) alignof(t)
#else
#define GANTRY_LAYOUT(cond) _Static_assert(cond, #cond)
#define GANTRY_ALIGNOF(t) _Alignof(t)
#endif

#if UINTPTR_MAX != 0xffffffffffffffffu
#error "layout_v1_0.h records the LP64 layout"
#endif

/* Versions and the entry symbol. */
GANTRY_LAYOUT(GANTRY_ABI_MAJOR == 1);

/* Enums are 32 bits wide and keep their values. */
GANTRY_LAYOUT(sizeof(gantry_action_t) == 4);
GANTRY_LAYOUT(sizeof(gantry_log_level_t) == 4);
GANTRY_LAYOUT(sizeof(gantry_cfg_type_t) == 4);
GANTRY_LAYOUT(sizeof(gantry_scope_t) == 4);
GANTRY_LAYOUT(sizeof(gantry_io_t) == 4);
GANTRY_LAYOUT(sizeof(gantry_status_t) == 4);
GANTRY_LAYOUT(GANTRY_CONTINUE == 0 && GANTRY_DECLINED == 1 && GANTRY_DONE == 2);
GANTRY_LAYOUT(GANTRY_CLOSE == 3 && GANTRY_PAUSE == 4);
GANTRY_LAYOUT(GANTRY_LOG_DEBUG == 0 && GANTRY_LOG_INFO == 1 && GANTRY_LOG_WARN == 2);
GANTRY_LAYOUT(GANTRY_LOG_ERROR == 3);
GANTRY_LAYOUT(GANTRY_CFG_ANY == 0 && GANTRY_CFG_BOOL == 1 && GANTRY_CFG_INT == 2);
GANTRY_LAYOUT(GANTRY_CFG_FLOAT == 3 && GANTRY_CFG_STRING == 4 && GANTRY_CFG_ARRAY == 5);
GANTRY_LAYOUT(GANTRY_CFG_TABLE == 6 && GANTRY_CFG_DURATION == 7 && GANTRY_CFG_SIZE == 8);
GANTRY_LAYOUT(GANTRY_SCOPE_MODULE == 0 && GANTRY_SCOPE_LISTENER == 1);
GANTRY_LAYOUT(GANTRY_SCOPE_BACKEND == 2 && GANTRY_SCOPE_TRANSPORT == 3);
GANTRY_LAYOUT(GANTRY_IO_OK == 0 && GANTRY_IO_WANT_READ == 1 && GANTRY_IO_CLOSED == 2);
GANTRY_LAYOUT(GANTRY_IO_ERROR == 3);
GANTRY_LAYOUT(GANTRY_OK == 0 && GANTRY_ERR_GENERIC == -1 && GANTRY_ERR_NOENT == -2);
GANTRY_LAYOUT(GANTRY_ERR_NOMEM == -12 && GANTRY_ERR_BUSY == -16 && GANTRY_ERR_INVAL == -22);
GANTRY_LAYOUT(GANTRY_ERR_RANGE == -34 && GANTRY_ERR_NOTSUP == -95);
GANTRY_LAYOUT(GANTRY_CAP_TRANSPORT == 1u && GANTRY_CAP_ROUTING == 2u && GANTRY_CAP_UPGRADE == 4u);
GANTRY_LAYOUT(GANTRY_CAP_SOCKET == 8u && GANTRY_CAP_HEADERS == 16u && GANTRY_CAP_LOG == 32u);
GANTRY_LAYOUT(GANTRY_CAP_TUNNEL == 64u);
GANTRY_LAYOUT(GANTRY_ADDR_PEER == 0 && GANTRY_ADDR_LOCAL == 1);
GANTRY_LAYOUT(GANTRY_DIR_CLIENT_TO_SERVER == 0 && GANTRY_DIR_SERVER_TO_CLIENT == 1);


/* gantry_str_t */
GANTRY_LAYOUT(sizeof(gantry_str_t) == 16); /* no struct_size: frozen for the major */
GANTRY_LAYOUT(GANTRY_ALIGNOF(gantry_str_t) == 8);
GANTRY_LAYOUT(offsetof(gantry_str_t, ptr) == 0);
GANTRY_LAYOUT(offsetof(gantry_str_t, len) == 8);

/* gantry_config_key_t */
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 0 ? sizeof(gantry_config_key_t) >= 32 : sizeof(gantry_config_key_t) == 32); /* grows only in a minor */
GANTRY_LAYOUT(GANTRY_ALIGNOF(gantry_config_key_t) == 8);
GANTRY_LAYOUT(offsetof(gantry_config_key_t, struct_size) == 0);
GANTRY_LAYOUT(offsetof(gantry_config_key_t, scope) == 4);
GANTRY_LAYOUT(offsetof(gantry_config_key_t, name) == 8);
GANTRY_LAYOUT(offsetof(gantry_config_key_t, type) == 16);
GANTRY_LAYOUT(offsetof(gantry_config_key_t, required) == 20);
GANTRY_LAYOUT(offsetof(gantry_config_key_t, doc) == 24);

/* gantry_tls_info_t */
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 0 ? sizeof(gantry_tls_info_t) >= 128 : sizeof(gantry_tls_info_t) == 128); /* grows only in a minor */
GANTRY_LAYOUT(GANTRY_ALIGNOF(gantry_tls_info_t) == 8);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, struct_size) == 0);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, handshake_done) == 4);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, sni) == 8);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, alpn) == 24);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, version) == 40);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, cipher) == 56);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, peer_der) == 72);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, peer_subject) == 88);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, peer_verified) == 104);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, resumed) == 108);
GANTRY_LAYOUT(offsetof(gantry_tls_info_t, library) == 112);

/* gantry_sess_params_t */
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 0 ? sizeof(gantry_sess_params_t) >= 32 : sizeof(gantry_sess_params_t) == 32); /* grows only in a minor */
GANTRY_LAYOUT(GANTRY_ALIGNOF(gantry_sess_params_t) == 8);
GANTRY_LAYOUT(offsetof(gantry_sess_params_t, struct_size) == 0);
GANTRY_LAYOUT(offsetof(gantry_sess_params_t, is_server) == 4);
GANTRY_LAYOUT(offsetof(gantry_sess_params_t, conn) == 8);
GANTRY_LAYOUT(offsetof(gantry_sess_params_t, server_name) == 16);

/* gantry_transport_t */
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 0 ? sizeof(gantry_transport_t) >= 120 : sizeof(gantry_transport_t) == 120); /* grows only in a minor */
GANTRY_LAYOUT(GANTRY_ALIGNOF(gantry_transport_t) == 8);
GANTRY_LAYOUT(offsetof(gantry_transport_t, struct_size) == 0);
GANTRY_LAYOUT(offsetof(gantry_transport_t, name) == 8);
GANTRY_LAYOUT(offsetof(gantry_transport_t, ctx_new) == 16);
GANTRY_LAYOUT(offsetof(gantry_transport_t, ctx_free) == 24);
GANTRY_LAYOUT(offsetof(gantry_transport_t, sess_new) == 32);
GANTRY_LAYOUT(offsetof(gantry_transport_t, sess_free) == 40);
GANTRY_LAYOUT(offsetof(gantry_transport_t, handshake) == 48);
GANTRY_LAYOUT(offsetof(gantry_transport_t, feed_cipher) == 56);
GANTRY_LAYOUT(offsetof(gantry_transport_t, read_plain) == 64);
GANTRY_LAYOUT(offsetof(gantry_transport_t, write_plain) == 72);
GANTRY_LAYOUT(offsetof(gantry_transport_t, peek_cipher) == 80);
GANTRY_LAYOUT(offsetof(gantry_transport_t, consume_cipher) == 88);
GANTRY_LAYOUT(offsetof(gantry_transport_t, handshake_done) == 96);
GANTRY_LAYOUT(offsetof(gantry_transport_t, shutdown) == 104);
GANTRY_LAYOUT(offsetof(gantry_transport_t, info) == 112);

/* gantry_log_record_t */
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 0 ? sizeof(gantry_log_record_t) >= 144 : sizeof(gantry_log_record_t) == 144); /* grows only in a minor */
GANTRY_LAYOUT(GANTRY_ALIGNOF(gantry_log_record_t) == 8);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, struct_size) == 0);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, status) == 4);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, method) == 8);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, target) == 24);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, backend) == 40);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, server) == 56);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, termination) == 72);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, bytes_in) == 88);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, bytes_out) == 96);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, t_head_us) == 104);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, t_connect_us) == 112);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, t_response_us) == 120);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, t_total_us) == 128);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, upgraded) == 136);
GANTRY_LAYOUT(offsetof(gantry_log_record_t, conn_reused) == 140);

/* gantry_header_t */
GANTRY_LAYOUT(sizeof(gantry_header_t) == 32); /* no struct_size: frozen for the major */
GANTRY_LAYOUT(GANTRY_ALIGNOF(gantry_header_t) == 8);
GANTRY_LAYOUT(offsetof(gantry_header_t, name) == 0);
GANTRY_LAYOUT(offsetof(gantry_header_t, value) == 16);

/* gantry_host_api_t */
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 0 ? sizeof(gantry_host_api_t) >= 408 : sizeof(gantry_host_api_t) == 408); /* grows only in a minor */
GANTRY_LAYOUT(GANTRY_ALIGNOF(gantry_host_api_t) == 8);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, struct_size) == 0);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, abi_major) == 4);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, abi_minor) == 8);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, host_version) == 16);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, log) == 24);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, alloc) == 32);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, free) == 40);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, error_set) == 48);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, error_at) == 56);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, worker_count) == 64);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, worker_index) == 72);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, post) == 80);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_type) == 88);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_get) == 96);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_size) == 104);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_at) == 112);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_string) == 120);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_int) == 128);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_float) == 136);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_bool) == 144);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_duration_ms) == 152);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_size_bytes) == 160);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_where) == 168);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, cfg_dir) == 176);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, conn_id) == 184);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, conn_addr) == 192);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, conn_tls) == 200);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, conn_listener) == 208);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, stream_conn) == 216);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_method) == 224);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_target) == 232);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_path) == 240);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_query) == 248);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_version) == 256);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_header_count) == 264);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_header_at) == 272);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_header_get) == 280);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_header_set) == 288);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_header_add) == 296);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_header_remove) == 304);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, req_set_target) == 312);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, route_to) == 320);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, route_backend) == 328);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, respond) == 336);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, resp_status) == 344);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, resp_header_get) == 352);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, resp_header_set) == 360);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, resp_header_add) == 368);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, resp_header_remove) == 376);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, log_note) == 384);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, resume) == 392);
GANTRY_LAYOUT(offsetof(gantry_host_api_t, set_balance_key) == 400);

/* gantry_hooks_t */
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 0 ? sizeof(gantry_hooks_t) >= 128 : sizeof(gantry_hooks_t) == 128); /* grows only in a minor */
GANTRY_LAYOUT(GANTRY_ALIGNOF(gantry_hooks_t) == 8);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, struct_size) == 0);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, instance_new) == 8);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, instance_free) == 16);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, scope_new) == 24);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, scope_free) == 32);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_listen) == 40);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_accept) == 48);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_handshake) == 56);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_request_headers) == 64);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_upgrade) == 72);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_connect_upstream) == 80);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_response_headers) == 88);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_tunnel_data) == 96);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_log) == 104);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_stream_end) == 112);
GANTRY_LAYOUT(offsetof(gantry_hooks_t, on_conn_close) == 120);

/* gantry_module_desc_t */
GANTRY_LAYOUT(GANTRY_ABI_MINOR > 0 ? sizeof(gantry_module_desc_t) >= 72 : sizeof(gantry_module_desc_t) == 72); /* grows only in a minor */
GANTRY_LAYOUT(GANTRY_ALIGNOF(gantry_module_desc_t) == 8);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, struct_size) == 0);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, abi_major) == 4);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, abi_minor) == 8);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, min_host_minor) == 12);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, name) == 16);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, version) == 24);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, description) == 32);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, capabilities) == 40);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, config_keys) == 48);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, hooks) == 56);
GANTRY_LAYOUT(offsetof(gantry_module_desc_t, transport) == 64);

/* The 1.0 sizes, for readers that accept an older struct (min(theirs, mine)). */
#define GANTRY_V1_0_SIZEOF_CONFIG_KEY 32
#define GANTRY_V1_0_SIZEOF_TLS_INFO 128
#define GANTRY_V1_0_SIZEOF_SESS_PARAMS 32
#define GANTRY_V1_0_SIZEOF_TRANSPORT 120
#define GANTRY_V1_0_SIZEOF_LOG_RECORD 144
#define GANTRY_V1_0_SIZEOF_HOST_API 408
#define GANTRY_V1_0_SIZEOF_HOOKS 128
#define GANTRY_V1_0_SIZEOF_MODULE_DESC 72

#endif /* GANTRY_TESTS_ABI_LAYOUT_V1_0_H */

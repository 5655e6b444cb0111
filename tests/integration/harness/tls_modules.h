#pragma once
// The top of a config that loads both TLS providers (one worker, no access
// log); tests append their listeners and backends.
namespace gantry::itest {

inline constexpr char kBothTlsModules[] = R"(workers = 1
modules_dir = "{{MODULES_DIR}}"
[log]
access = "off"
[[module]]
name = "tls-boringssl"
path = "tls_boringssl"
[[module]]
name = "tls-openssl"
path = "tls_openssl"
)";

}  // namespace gantry::itest

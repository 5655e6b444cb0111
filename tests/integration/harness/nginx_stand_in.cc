#include "harness/nginx_stand_in.h"

#include <toml++/toml.h>

#include <sstream>

#include "harness/temp_dir.h"

namespace gantry::itest {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\' || c == '$') out += '\\';
    out += c;
  }
  return out + "\"";
}

void write_upstreams(const toml::table& root, std::ostringstream& o) {
  const toml::array* backends = root["backend"].as_array();
  if (backends == nullptr) return;
  for (const auto& b : *backends) {
    const toml::table* bt = b.as_table();
    if (bt == nullptr) continue;
    o << "  upstream b_" << (*bt)["name"].value_or(std::string("x"))
      << " {\n";
    if (const toml::array* servers = (*bt)["servers"].as_array()) {
      for (const auto& s : *servers) {
        if (auto a = s.value<std::string>()) {
          o << "    server " << *a << " max_fails=0;\n";
        } else if (const toml::table* st = s.as_table()) {
          o << "    server " << (*st)["address"].value_or(std::string("127.0.0.1:1"))
            << " weight=" << (*st)["weight"].value_or(int64_t{1}) << " max_fails=0;\n";
        }
      }
    }
    o << "    keepalive 32;\n  }\n";
  }
}

void write_location(const toml::table& route, const std::string& first_backend, std::ostringstream& o) {
  std::string prefix = route["path_prefix"].value_or(std::string());
  o << "    location " << (prefix.empty() ? "/" : "^~ " + prefix) << " {\n";
  if (const toml::table* r = route["respond"].as_table()) {
    if (const toml::table* h = (*r)["headers"].as_table()) {
      for (const auto& [k, v] : *h)
        o << "      add_header " << k.str() << " " << quote(v.value_or(std::string())) << " always;\n";
    }
    o << "      return " << (*r)["status"].value_or(int64_t{200}) << " "
      << quote((*r)["body"].value_or(std::string())) << ";\n";
  } else {
    o << "      proxy_pass http://b_" << route["backend"].value_or(first_backend) << ";\n";
  }
  o << "    }\n";
}

}  // namespace

std::string translate_to_nginx(const std::string& toml_path, const std::string& dir,
                               std::string* error) {
  toml::table root;
  try {
    root = toml::parse_file(toml_path);
  } catch (const toml::parse_error& e) {
    std::ostringstream m;
    m << toml_path << ":" << e.source().begin.line << ": " << e.description();
    *error = m.str();
    return "";
  }
  std::string first_backend;
  if (const toml::array* bs = root["backend"].as_array(); bs != nullptr && !bs->empty()) {
    if (const toml::table* t = (*bs)[0].as_table())
      first_backend = (*t)["name"].value_or(std::string());
  }
  auto t = [&](const char* key, const char* def) {
    return root["timeouts"][key].value_or(std::string(def));
  };
  make_dirs(dir + "/nginx-tmp");
  std::ostringstream o;
  o << "worker_processes 1;\nuser root;\nmaster_process on;\npid " << dir << "/nginx.pid;\n"
    << "error_log " << dir << "/gantry.stderr info;\nevents { worker_connections 1024; }\n"
    << "http {\n  access_log off;\n"
    << "  client_body_temp_path " << dir << "/nginx-tmp/body;\n"
    << "  proxy_temp_path " << dir << "/nginx-tmp/proxy;\n"
    << "  fastcgi_temp_path " << dir << "/nginx-tmp/fcgi;\n"
    << "  uwsgi_temp_path " << dir << "/nginx-tmp/uwsgi;\n"
    << "  scgi_temp_path " << dir << "/nginx-tmp/scgi;\n"
    << "  client_max_body_size 0;\n  proxy_http_version 1.1;\n"
    << "  proxy_request_buffering off;\n  proxy_buffering off;\n"
    << "  proxy_set_header Connection \"\";\n  proxy_set_header Host $http_host;\n"
    << "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
    << "  proxy_set_header X-Forwarded-Proto $scheme;\n"
    << "  proxy_read_timeout " << t("server", "60s") << ";\n"
    << "  proxy_connect_timeout " << t("connect", "5s") << ";\n"
    << "  client_header_timeout " << t("client_head", "10s") << ";\n"
    << "  keepalive_timeout " << t("client_idle", "60s") << ";\n"
    << "  keepalive_requests 100000;\n"
    << "  large_client_header_buffers 4 " << root["limits"]["max_head_size"].value_or(std::string("16k"))
    << ";\n";
  write_upstreams(root, o);
  if (const toml::array* ls = root["listener"].as_array()) {
    for (const auto& l : *ls) {
      const toml::table* lt = l.as_table();
      if (lt == nullptr) continue;
      // reuseport: binds next to free_port()'s reservation, as gantry does.
      o << "  server {\n    listen " << (*lt)["bind"].value_or(std::string("127.0.0.1:1"))
        << " reuseport;\n";
      const toml::array* routes = root["route"].as_array();
      if (routes == nullptr || routes->empty()) {
        o << "    location / { proxy_pass http://b_" << first_backend << "; }\n";
      } else {
        for (const auto& r : *routes)
          if (const toml::table* rt = r.as_table()) write_location(*rt, first_backend, o);
      }
      o << "  }\n";
    }
  }
  o << "}\n";
  std::string path = dir + "/nginx-stand-in.conf";
  if (!write_file(path, o.str())) {
    *error = "cannot write " + path;
    return "";
  }
  return path;
}

}  // namespace gantry::itest

#include "harness/nginx_backend.h"

#include <sstream>
#include <thread>

#include "harness/free_port.h"
#include "harness/temp_dir.h"

namespace gantry::itest {

NginxBackend::NginxBackend(std::string dir) : dir_(std::move(dir)) {
  make_dirs(dir_ + "/www");
  make_dirs(dir_ + "/tmp");
}

NginxBackend::~NginxBackend() { stop(); }

void NginxBackend::add_file(const std::string& name, const std::string& content) {
  write_file(dir_ + "/www/" + name, content);
}

void NginxBackend::add_return(const std::string& path, int status, const std::string& body) {
  std::string escaped;
  for (char c : body) {
    if (c == '"' || c == '\\' || c == '$') escaped += '\\';
    escaped += c;
  }
  directives_.push_back("location = " + path + " { return " + std::to_string(status) + " \"" +
                        escaped + "\"; }");
}

void NginxBackend::add_server_directive(const std::string& line) { directives_.push_back(line); }

bool NginxBackend::start() {
  // `reuseport` lets nginx bind next to free_port()'s reservation (see
  // free_port.h). Retry a few times anyway, on a new port, in case another
  // program holds this one.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_port();
    std::ostringstream c;
    c << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << dir_ << "/nginx.pid;\n"
      << "error_log " << dir_ << "/error.log warn;\nevents { worker_connections 256; }\n"
      << "http {\n  access_log off;\n  default_type application/octet-stream;\n"
      << "  client_body_temp_path " << dir_ << "/tmp/body;\n"
      << "  proxy_temp_path " << dir_ << "/tmp/proxy;\n"
      << "  fastcgi_temp_path " << dir_ << "/tmp/fcgi;\n"
      << "  uwsgi_temp_path " << dir_ << "/tmp/uwsgi;\n"
      << "  scgi_temp_path " << dir_ << "/tmp/scgi;\n"
      << "  keepalive_requests 100000;\n"
      << "  server {\n    listen 127.0.0.1:" << port_ << " reuseport;\n"
      << "    root " << dir_ << "/www;\n";
    for (const auto& d : directives_) c << "    " << d << "\n";
    c << "  }\n}\n";
    std::string conf = dir_ + "/nginx.conf";
    write_file(conf, c.str());
    if (!proc_.start({"nginx", "-p", dir_ + "/", "-c", conf}, dir_ + "/stdout.log",
                     dir_ + "/stderr.log"))
      return false;
    for (int i = 0; i < 500 && proc_.running(); ++i) {
      if (process_listens_on(proc_.pid(), port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    proc_.kill_and_wait();
  }
  return false;
}

void NginxBackend::stop() { proc_.kill_and_wait(); }

std::string NginxBackend::error_log() const {
  return read_file(dir_ + "/error.log") + read_file(dir_ + "/stderr.log");
}

}  // namespace gantry::itest

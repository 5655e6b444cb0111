#include "runtime/access_sink.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gantry::runtime {
namespace {

int facility_code(const std::string& name) {
  static const char* const kNames[] = {"kern", "user",   "mail",     "daemon", "auth",  "syslog",
                                       "lpr",  "news",   "uucp",     "cron",   "authpriv", "ftp"};
  for (int i = 0; i < 12; ++i)
    if (name == kNames[i]) return i;
  if (name.size() == 6 && name.rfind("local", 0) == 0 && name[5] >= '0' && name[5] <= '7')
    return 16 + (name[5] - '0');
  return 16;  // local0; the schema admits no other name
}

// RFC 5424 header fields are printable US-ASCII without spaces.
std::string header_field(std::string s, size_t max) {
  if (s.size() > max) s.resize(max);
  for (char& c : s)
    if (c <= 32 || c >= 127) c = '_';
  return s.empty() ? "-" : s;
}

Result<int> connect_syslog(const config::SyslogTarget& t) {
  int fd;
  int r;
  std::string where;
  if (t.kind == config::SyslogTarget::Kind::kUnix) {
    where = t.path;
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Failure{"syslog socket: " + std::string(std::strerror(errno))};
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, t.path.c_str(), t.path.size() + 1);
    r = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  } else {
    where = t.address.text;
    fd = ::socket(t.address.sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return Failure{"syslog socket: " + std::string(std::strerror(errno))};
    r = ::connect(fd, reinterpret_cast<const sockaddr*>(&t.address.sa), t.address.len);
  }
  if (r != 0) {
    int e = errno;
    ::close(fd);
    return Failure{"log.access: cannot reach syslog at " + where + ": " + std::strerror(e)};
  }
  return fd;
}

}  // namespace

Result<AccessSink> AccessSink::open(const config::Config& cfg) {
  AccessSink s;
  s.format = cfg.access_format == "json"      ? Format::kJson
             : !cfg.access_template.empty()   ? Format::kTemplate
                                              : Format::kText;
  s.tmpl = &cfg.access_template;
  if (cfg.access_syslog.kind != config::SyslogTarget::Kind::kNone) {
    Result<int> fd = connect_syslog(cfg.access_syslog);
    if (!fd) return Failure{fd.error()};
    s.kind = Kind::kSyslog;
    s.fd = *fd;
    // Severity "informational" (6): access lines are not warnings.
    s.syslog_pri = "<" + std::to_string(facility_code(cfg.syslog_facility) * 8 + 6) + ">1 ";
    char host[256] = "";
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    s.syslog_rest = " " + header_field(host, 255) + " " + header_field(cfg.syslog_tag, 48) + " " +
                    std::to_string(::getpid()) + " - - ";
    return s;
  }
  if (cfg.access_log == "stdout") {
    s.kind = Kind::kStream;
    s.fd = STDOUT_FILENO;
  } else if (cfg.access_log == "stderr") {
    s.kind = Kind::kStream;
    s.fd = STDERR_FILENO;
  } else if (cfg.access_log != "off" && !cfg.access_log.empty()) {
    std::string path = cfg.access_log;
    if (path[0] != '/') path = cfg.dir + "/" + path;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return Failure{"cannot open access log '" + path + "': " + std::strerror(errno)};
    s.kind = Kind::kFile;
    s.fd = fd;
  }
  return s;
}

void AccessSink::close() {
  if ((kind == Kind::kFile || kind == Kind::kSyslog) && fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace gantry::runtime

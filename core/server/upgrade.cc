#include "server/upgrade.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char** environ;

namespace gantry::server {
namespace {

constexpr const char* kFdVar = "GANTRY_UPGRADE_FD";
constexpr int kChildChannelFd = 3;
// SCM_RIGHTS carries at most SCM_MAX_FD (253) descriptors per message.
constexpr size_t kMaxFds = 253;

std::string& exe_path() {
  static std::string* p = new std::string;
  return *p;
}
std::vector<std::string>& arguments() {
  static std::vector<std::string>* a = new std::vector<std::string>;
  return *a;
}

}  // namespace

void remember_command_line(int argc, char** argv) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  exe_path() = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string(argv[0]);
  arguments().assign(argv, argv + argc);
}

// --- the new process -------------------------------------------------------

bool take_inherited(Inherited* out, std::string* why) {
  const char* v = std::getenv(kFdVar);
  if (v == nullptr || *v == '\0') return true;
  int channel = std::atoi(v);
  ::unsetenv(kFdVar);  // not for this process's own upgrades later
  if (channel < 0 || ::fcntl(channel, F_SETFD, FD_CLOEXEC) != 0) {
    *why = "upgrade channel fd " + std::string(v) + " is not open";
    return false;
  }
  out->channel = channel;
  char text[16384];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  iovec iov{text, sizeof text - 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    *why = "no listening sockets from the old process: " +
           std::string(n < 0 ? std::strerror(errno) : "channel closed");
    return false;
  }
  std::vector<int> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const int* p = reinterpret_cast<const int*>(CMSG_DATA(c));
    fds.insert(fds.end(), p, p + count);
  }
  // One line per descriptor, in order: "<worker> <bind text>".
  std::istringstream lines(std::string(text, static_cast<size_t>(n)));
  std::string line;
  size_t i = 0;
  while (std::getline(lines, line) && i < fds.size()) {
    size_t sp = line.find(' ');
    if (sp == std::string::npos) continue;
    size_t worker = std::strtoul(line.c_str(), nullptr, 10);
    std::vector<int>& v = out->fds[line.substr(sp + 1)];
    if (v.size() <= worker) v.resize(worker + 1, -1);
    v[worker] = fds[i++];
  }
  for (; i < fds.size(); ++i) ::close(fds[i]);
  return true;
}

void report_ready(Inherited* in) {
  if (in->channel < 0) return;
  std::string msg = "ready " + std::to_string(::getpid()) + "\n";
  ssize_t w = ::write(in->channel, msg.data(), msg.size());
  (void)w;
  ::close(in->channel);
  in->channel = -1;
}

void close_unused(Inherited* in) {
  for (auto& [bind, fds] : in->fds)
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  in->fds.clear();
}

// --- the old process -------------------------------------------------------

Upgrade::~Upgrade() {
  close_channel();
  if (child_ != nullptr) {
    child_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(child_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_process_t*>(h); });
  }
}

bool Upgrade::start(const ListenerFds& sockets, uint64_t ready_timeout_ms, Done done) {
  done_ = std::move(done);
  state_ = State::kWaiting;
  got_.clear();
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    finish(false, std::string("socketpair: ") + std::strerror(errno));
    return false;
  }
  // The sockets go first, into the pair's buffer: the new process reads
  // them at its start.
  std::string text;
  std::vector<int> fds;
  for (const auto& [bind, v] : sockets)
    for (size_t w = 0; w < v.size(); ++w) {
      text += std::to_string(w) + " " + bind + "\n";
      fds.push_back(v[w]);
    }
  if (fds.size() > kMaxFds || text.size() >= 16384) {
    ::close(sv[0]);
    ::close(sv[1]);
    finish(false, "too many listening sockets to hand over (" + std::to_string(fds.size()) + ")");
    return false;
  }
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  iovec iov{text.data(), text.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  if (::sendmsg(sv[0], &msg, MSG_NOSIGNAL) < 0) {
    std::string e = std::strerror(errno);
    ::close(sv[0]);
    ::close(sv[1]);
    finish(false, "cannot hand over the listening sockets: " + e);
    return false;
  }

  std::vector<char*> argv;
  for (std::string& a : arguments()) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "GANTRY_UPGRADE_FD=", 18) != 0) env_text.emplace_back(*e);
  env_text.push_back(std::string(kFdVar) + "=" + std::to_string(kChildChannelFd));
  std::vector<char*> env;
  for (std::string& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);
  uv_stdio_container_t stdio[4];
  for (int i = 0; i < 3; ++i) {
    stdio[i].flags = UV_INHERIT_FD;
    stdio[i].data.fd = i;
  }
  stdio[3].flags = UV_INHERIT_FD;
  stdio[3].data.fd = sv[1];
  uv_process_options_t opt{};
  opt.file = exe_path().c_str();
  opt.args = argv.data();
  opt.env = env.data();
  opt.stdio_count = 4;
  opt.stdio = stdio;
  opt.exit_cb = on_exit;
  // Its own session: the new process outlives this one.
  opt.flags = UV_PROCESS_DETACHED;
  child_ = new uv_process_t;
  child_->data = this;
  int r = uv_spawn(loop_, child_, &opt);
  ::close(sv[1]);
  if (r != 0) {
    ::close(sv[0]);
    // A handle whose spawn failed is still closed like any other.
    uv_close(reinterpret_cast<uv_handle_t*>(child_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_process_t*>(h); });
    child_ = nullptr;
    finish(false, "cannot start " + exe_path() + ": " + uv_strerror(r));
    return false;
  }
  channel_ = new uv_pipe_t;
  uv_pipe_init(loop_, channel_, 0);
  channel_->data = this;
  uv_pipe_open(channel_, sv[0]);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(channel_),
      [](uv_handle_t*, size_t, uv_buf_t* b) {
        static char buf[256];
        *b = uv_buf_init(buf, sizeof buf);
      },
      on_read);
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(timer_, on_timeout, ready_timeout_ms, 0);
  return true;
}

void Upgrade::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* self = static_cast<Upgrade*>(s->data);
  if (self == nullptr) return;
  if (n > 0) {
    self->got_.append(buf->base, static_cast<size_t>(n));
    if (self->got_.size() > 256) self->got_.resize(256);
    size_t nl = self->got_.find('\n');
    if (nl != std::string::npos && self->got_.rfind("ready ", 0) == 0) {
      self->finish(true, "new process " + self->got_.substr(6, nl - 6) + " serves");
    }
    return;
  }
  if (n < 0) self->close_channel();  // the exit callback says why
}

void Upgrade::on_exit(uv_process_t* p, int64_t status, int signal) {
  auto* self = static_cast<Upgrade*>(p->data);
  if (self == nullptr || self->state_ != State::kWaiting) return;
  std::string how = signal != 0 ? "was killed by signal " + std::to_string(signal)
                                : "exited with status " + std::to_string(status);
  self->finish(false, "new process " + std::to_string(p->pid) + " " + how +
                          " before it served (its log above says why)");
}

void Upgrade::on_timeout(uv_timer_t* t) {
  auto* self = static_cast<Upgrade*>(t->data);
  if (self == nullptr || self->state_ != State::kWaiting) return;
  if (self->child_ != nullptr) uv_process_kill(self->child_, SIGKILL);
  self->finish(false, "new process did not report ready in time; it was killed");
}

void Upgrade::finish(bool ok, const std::string& message) {
  if (state_ != State::kWaiting) return;
  state_ = ok ? State::kServing : State::kFailed;
  if (timer_ != nullptr) {
    uv_timer_stop(timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
  close_channel();
  if (ok && child_ != nullptr) {
    // The new process lives on; this one stops watching it, so its own
    // loop can end while the child serves.
    child_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(child_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_process_t*>(h); });
    child_ = nullptr;
  }
  Done d = std::move(done_);
  if (d) d(ok, message);
}

void Upgrade::close_channel() {
  if (channel_ == nullptr) return;
  channel_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(channel_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
  channel_ = nullptr;
}

}  // namespace gantry::server

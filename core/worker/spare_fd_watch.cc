#include "worker/spare_fd_watch.h"

#include <fcntl.h>
#include <unistd.h>

namespace gantry::worker {

SpareFdWatch::~SpareFdWatch() {
  // The loop is closed by now; its handles are gone, their fds are ours.
  if (poll_ != nullptr && poll_->read_fd >= 0) ::close(poll_->read_fd);
}

void SpareFdWatch::start(uv_loop_t* loop, std::function<void()> on_used) {
  loop_ = loop;
  on_used_ = std::move(on_used);
  arm();
}

void SpareFdWatch::stop() {
  stopped_ = true;
  if (poll_ != nullptr) {
    close_poll(poll_);
    poll_ = nullptr;
  }
}

bool SpareFdWatch::arm() {
  int p[2];
  // Out of descriptors still: libuv keeps whatever spare it managed to open.
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  auto* poll = new Poll;
  poll->read_fd = p[0];
  poll->owner = this;
  if (uv_poll_init(loop_, &poll->handle, p[0]) != 0) {
    ::close(p[0]);
    ::close(p[1]);
    delete poll;
    return false;
  }
  if (loop_->emfile_fd >= 0) ::close(loop_->emfile_fd);
  loop_->emfile_fd = p[1];
  poll->handle.data = poll;
  uv_poll_start(&poll->handle, UV_READABLE | UV_DISCONNECT, on_readable);
  poll_ = poll;
  return true;
}

void SpareFdWatch::close_poll(Poll* p) {
  uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), [](uv_handle_t* h) {
    auto* poll = static_cast<Poll*>(h->data);
    if (poll->read_fd >= 0) ::close(poll->read_fd);
    delete poll;
  });
}

void SpareFdWatch::on_readable(uv_poll_t* h, int, int) {
  auto* poll = static_cast<Poll*>(h->data);
  SpareFdWatch* self = poll->owner;
  close_poll(poll);
  self->poll_ = nullptr;
  if (self->stopped_) return;
  self->on_used_();
  self->arm();
}

}  // namespace gantry::worker

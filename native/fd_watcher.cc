#include "fd_watcher.h"

#include <cerrno>
#include <memory>

#include "errors.h"

namespace vxprobe {

void FdWatcher::Start(int fd, napi_ref keep_alive) {
  Napi::Env env(env_);
  if (!handle_) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env_, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
    auto handle = std::make_unique<Handle>();
    handle->owner = this;
    if (int err = uv_poll_init(loop, &handle->poll, fd)) throw SystemError(env, -err, "uv_poll_init");
    handle_ = handle.release();  // libuv owns it now; freed in the close callback
    handle_->poll.data = handle_;
  }
  if (int err = uv_poll_start(&handle_->poll, UV_READABLE, &FdWatcher::OnPoll)) {
    throw SystemError(env, -err, "uv_poll_start");
  }
  if (!keep_alive_) {
    napi_reference_ref(env_, keep_alive, nullptr);
    keep_alive_ = keep_alive;
  }
}

void FdWatcher::Stop() {
  if (handle_) {
    uv_poll_stop(&handle_->poll);
    handle_->owner = nullptr;
    // Closing takes the fd out of epoll now; the memory goes in the callback.
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll), [](uv_handle_t* h) {
      std::unique_ptr<Handle> owned(static_cast<Handle*>(h->data));
    });
    handle_ = nullptr;
  }
  if (keep_alive_) {
    // Not Napi::Reference::Unref(): it throws when the environment is being
    // torn down, and this also runs from cleanup hooks and destructors.
    napi_reference_unref(env_, keep_alive_, nullptr);
    keep_alive_ = nullptr;
  }
}

void FdWatcher::OnPoll(uv_poll_t* poll, int status, int events) {
  auto* handle = static_cast<Handle*>(poll->data);
  if (handle->owner) handle->owner->Dispatch(status);
}

void FdWatcher::Dispatch(int status) {
  Napi::Env env(env_);
  try {
    Napi::HandleScope scope(env);
    deliver_(env, status);
  } catch (const Napi::Error&) {
    Stop();
    return;
  } catch (...) {
    try {
      Napi::HandleScope scope(env);
      deliver_(env, -ENOMEM);
    } catch (...) {
    }
    Stop();
    return;
  }
  if (status < 0) Stop();
}

}  // namespace vxprobe

// One fd watched for readability on the environment's libuv loop, shared by
// the capturing sockets (packet_socket.cc, raw_ip_socket.cc). What a wake-up
// does is the owner's; starting and stopping, keeping the owner's JS object
// alive while watching, and keeping exceptions out of libuv are here
// (docs/native-hardening.md).
#pragma once
#include <napi.h>
#include <uv.h>

#include <functional>

namespace vxprobe {

class FdWatcher {
 public:
  // Runs on the JS thread, inside a HandleScope, at each wake-up; status < 0
  // is a poll error, after which watching stops. It may throw: a Napi::Error
  // (JS can no longer run) stops watching; anything else (std::bad_alloc
  // while collecting a batch) is delivered once more as -ENOMEM, then
  // watching stops. Nothing reaches libuv.
  using Deliver = std::function<void(Napi::Env env, int status)>;

  FdWatcher(Napi::Env env, Deliver deliver) : env_(env), deliver_(std::move(deliver)) {}
  FdWatcher(const FdWatcher&) = delete;
  FdWatcher& operator=(const FdWatcher&) = delete;
  ~FdWatcher() { Stop(); }

  // Starts (or resumes) watching `fd`. While watching, `keep_alive` (the
  // owner's wrapper reference) is held, so the owner outlives every callback
  // even when JS drops it. Throws a SystemError when libuv refuses.
  void Start(int fd, napi_ref keep_alive);
  // No callback runs after this. libuv frees the handle once it is closed,
  // so this is safe from a destructor and an environment cleanup hook.
  void Stop();

 private:
  struct Handle {
    uv_poll_t poll;
    FdWatcher* owner;  // null once stopped: a wake-up already queued is ignored
  };
  static void OnPoll(uv_poll_t* poll, int status, int events);
  void Dispatch(int status);

  napi_env env_;
  Deliver deliver_;
  Handle* handle_ = nullptr;  // owned by libuv until its close callback runs
  napi_ref keep_alive_ = nullptr;
};

}  // namespace vxprobe

// Errors shaped like Node's system errors (code, errno, syscall), so the CLI
// can turn EPERM into "needs root or CAP_NET_RAW" without string matching.
#pragma once

#include <napi.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vxprobe {

inline const char* ErrnoName(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case EMSGSIZE: return "EMSGSIZE";
    case ENETDOWN: return "ENETDOWN";
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EADDRINUSE: return "EADDRINUSE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EINTR: return "EINTR";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EEXIST: return "EEXIST";
    case EBUSY: return "EBUSY";
    case ENOTSOCK: return "ENOTSOCK";
    default: return "EUNKNOWN";
  }
}

// Builds (does not throw) an Error with code/errno/syscall set.
inline Napi::Error SystemError(Napi::Env env, int err, const std::string& syscall,
                               const std::string& context = "") {
  std::string msg = syscall + " failed: " + std::strerror(err);
  if (!context.empty()) msg = context + ": " + msg;
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

// Closes a file descriptor exactly once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace vxprobe

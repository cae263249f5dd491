#include "raw_ip_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace vxprobe {
namespace {

// One wake-up hands at most this many messages to JS, so an ICMP flood never
// stalls the loop (the poll is level-triggered and fires again at once).
constexpr int kMessagesPerWake = 256;
constexpr size_t kMaxPacket = 65535;
// A raw send blocks only while the socket buffer is full; bound that wait.
constexpr int kSendWaitMs = 1000;

}  // namespace

Napi::Function RawIpSocket::DefineClass(Napi::Env env) {
  return ObjectWrap<RawIpSocket>::DefineClass(env, "RawIpSocket",
                                             {
                                                 InstanceMethod<&RawIpSocket::Send>("send"),
                                                 InstanceMethod<&RawIpSocket::Start>("start"),
                                                 InstanceMethod<&RawIpSocket::Close>("close"),
                                             });
}

// new RawIpSocket(protocol): 255 (IPPROTO_RAW, send-only, IP_HDRINCL implied)
// or 1 (IPPROTO_ICMP, receive; packets arrive with their IPv4 header).
RawIpSocket::RawIpSocket(const Napi::CallbackInfo& info)
    : ObjectWrap<RawIpSocket>(info),
      watcher_(info.Env(), [this](Napi::Env env, int status) { Deliver(env, status); }) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "protocol must be a number");
  protocol_ = info[0].As<Napi::Number>().Int32Value();
  if (protocol_ != IPPROTO_RAW && protocol_ != IPPROTO_ICMP) {
    throw Napi::RangeError::New(env, "protocol must be 255 (raw send) or 1 (ICMP receive)");
  }
  fd_ = UniqueFd(socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol_));
  if (!fd_.valid()) {
    throw SystemError(env, errno, "socket",
                      protocol_ == IPPROTO_RAW ? "raw IPv4 (routed path)" : "raw ICMP");
  }
  int buf = 1 << 20;
  setsockopt(fd_.get(), SOL_SOCKET, protocol_ == IPPROTO_RAW ? SO_SNDBUF : SO_RCVBUF, &buf,
             sizeof(buf));
  napi_add_env_cleanup_hook(env, &RawIpSocket::OnEnvCleanup, this);
  cleanup_hook_ = true;
}

RawIpSocket::~RawIpSocket() {
  CloseAll();
  if (cleanup_hook_) napi_remove_env_cleanup_hook(Env(), &RawIpSocket::OnEnvCleanup, this);
}

void RawIpSocket::OnEnvCleanup(void* arg) { static_cast<RawIpSocket*>(arg)->CloseAll(); }

// send(packet: Buffer, dst: string): the kernel routes by `dst` and fills the
// IPv4 checksum (and the id when zero). Throws a system error with its code.
Napi::Value RawIpSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw SystemError(env, EBADF, "sendto", "socket is closed");
  if (protocol_ != IPPROTO_RAW) throw Napi::Error::New(env, "an ICMP receive socket cannot send");
  if (!info[1].IsString()) throw Napi::TypeError::New(env, "dst must be an IPv4 address string");
  std::string dst = info[1].As<Napi::String>().Utf8Value();
  sockaddr_in to = {};
  to.sin_family = AF_INET;
  if (inet_pton(AF_INET, dst.c_str(), &to.sin_addr) != 1) {
    throw Napi::TypeError::New(env, "dst must be an IPv4 address string");
  }
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "packet must be a Buffer");
  // Taken last: nothing runs JS between here and the copy-free sendto.
  auto packet = info[0].As<Napi::Buffer<uint8_t>>();
  if (packet.Length() < 20 || packet.Length() > kMaxPacket) {
    throw Napi::RangeError::New(env, "packet must be 20 to 65535 bytes");
  }
  for (;;) {
    ssize_t n = sendto(fd_.get(), packet.Data(), packet.Length(), 0,
                       reinterpret_cast<sockaddr*>(&to), sizeof(to));
    if (n >= 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == ENOBUFS) {
      pollfd p = {fd_.get(), POLLOUT, 0};
      if (poll(&p, 1, kSendWaitMs) > 0) continue;
      throw SystemError(env, errno == 0 ? ETIMEDOUT : errno, "sendto", dst);
    }
    throw SystemError(env, errno, "sendto", dst);
  }
  return env.Undefined();
}

// start(onBatch(err, packets: Buffer[], sources: string[])): watches the
// socket on the environment's loop until close().
Napi::Value RawIpSocket::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw SystemError(env, EBADF, "start", "socket is closed");
  if (protocol_ == IPPROTO_RAW) throw Napi::Error::New(env, "an IPPROTO_RAW socket never receives");
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "onBatch must be a function");
  on_batch_ = Napi::Persistent(info[0].As<Napi::Function>());
  if (!async_context_)
    async_context_ = std::make_unique<Napi::AsyncContext>(env, "vxprobe:RawIpSocket");
  watcher_.Start(fd_.get(), static_cast<napi_ref>(*this));
  return env.Undefined();
}

void RawIpSocket::Deliver(Napi::Env env, int status) {
  Napi::Value err = env.Null();
  Napi::Array packets = Napi::Array::New(env);
  Napi::Array sources = Napi::Array::New(env);
  if (status < 0) {
    err = SystemError(env, -status, "uv_poll", "raw ICMP").Value();
  } else {
    static thread_local uint8_t buf[kMaxPacket];
    uint32_t n = 0;
    for (int i = 0; i < kMessagesPerWake; ++i) {
      sockaddr_in from = {};
      socklen_t len = sizeof(from);
      ssize_t got = recvfrom(fd_.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (got < 0) break;  // EAGAIN: drained (other errors surface on the next poll)
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &from.sin_addr, text, sizeof(text));
      packets.Set(n, Napi::Buffer<uint8_t>::Copy(env, buf, static_cast<size_t>(got)));
      sources.Set(n, Napi::String::New(env, text));
      ++n;
    }
    if (n == 0) return;  // spurious wake-up
  }
  try {
    on_batch_.MakeCallback(Value(), {err, packets, sources}, *async_context_);
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());
  }
}

void RawIpSocket::CloseAll() {
  if (closed_) return;
  closed_ = true;
  watcher_.Stop();
  fd_.reset();
}

Napi::Value RawIpSocket::Close(const Napi::CallbackInfo& info) {
  CloseAll();
  on_batch_.Reset();
  return info.Env().Undefined();
}

void InitRawIpSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("RawIpSocket", RawIpSocket::DefineClass(env));
}

}  // namespace vxprobe

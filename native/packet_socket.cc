#include "packet_socket.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "boundary.h"
#include "bpf.h"
#include "capture_open.h"
#include "capture_record.h"
#include "socket_options.h"

namespace vxprobe {
namespace {

// Upper bound on the token fast path's work per wake-up, so a flood never
// stalls the loop (the poll is level-triggered and fires again at once while
// a block is ready). A token hit costs a memmem; the parsed-record budget,
// kRecordsPerWake, is in packet_socket.h.
constexpr size_t kTokenFramesPerWake = 65536;

}  // namespace

Napi::Function PacketSocket::DefineClass(Napi::Env env) {
  return ObjectWrap<PacketSocket>::DefineClass(
      env, "PacketSocket",
      {
          InstanceMethod<&PacketSocket::Send>("send"),
          InstanceMethod<&PacketSocket::SendBurst>("sendBurst"),
          InstanceMethod<&PacketSocket::SendBurstAsync>("sendBurstAsync"),
          InstanceMethod<&PacketSocket::Start>("start"),
          InstanceMethod<&PacketSocket::Stop>("stop"),
          InstanceMethod<&PacketSocket::Stats>("stats"),
          InstanceMethod<&PacketSocket::Close>("close"),
          InstanceMethod<&PacketSocket::CloseAsync>("closeAsync"),
          InstanceAccessor<&PacketSocket::GetIfname>("ifname"),
          InstanceAccessor<&PacketSocket::GetIfindex>("ifindex"),
          InstanceAccessor<&PacketSocket::GetMac>("mac"),
          InstanceAccessor<&PacketSocket::GetClosed>("closed"),
      });
}

PacketSocket::PacketSocket(const Napi::CallbackInfo& info)
    : ObjectWrap<PacketSocket>(info),
      watcher_(info.Env(), [this](Napi::Env env, int status) { Deliver(env, status); }) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) {
    Napi::TypeError::New(env, "ifname must be a string").ThrowAsJavaScriptException();
    return;
  }
  ifname_ = info[0].As<Napi::String>().Utf8Value();
  if (ifname_.empty() || ifname_.size() >= IFNAMSIZ) {
    Napi::RangeError::New(env, "ifname must be 1 to 15 bytes").ThrowAsJavaScriptException();
    return;
  }
  if (!ParseSocketOptions(env, info[1], &opts_)) return;  // exception already set

  ifindex_ = static_cast<int>(if_nametoindex(ifname_.c_str()));
  if (ifindex_ == 0) {
    SystemError(env, errno == 0 ? ENODEV : errno, "if_nametoindex", "interface " + ifname_)
        .ThrowAsJavaScriptException();
    return;
  }
  // A third argument: the capture socket openCaptureAsync prepared off the JS thread.
  const bool prepared = info.Length() > 2 && !info[2].IsUndefined();
  if (prepared && !opts_.capture) {
    Napi::TypeError::New(env, "a prepared capture socket needs capture: true").ThrowAsJavaScriptException();
    return;
  }
  try {
    OpenSender(env);
    if (prepared) AdoptReceiver(env, info[2]);
    else if (opts_.capture) OpenReceiver(env);
  } catch (const Napi::Error& e) {
    CloseAll();
    throw;
  }
  napi_add_env_cleanup_hook(env, &PacketSocket::OnEnvCleanup, this);
  cleanup_hook_ = true;
}

PacketSocket::~PacketSocket() {
  CloseAll();
  if (cleanup_hook_) napi_remove_env_cleanup_hook(Env(), &PacketSocket::OnEnvCleanup, this);
}

void PacketSocket::OnEnvCleanup(void* arg) { static_cast<PacketSocket*>(arg)->CloseAll(); }

void PacketSocket::OpenSender(Napi::Env env) {
  // Protocol 0: this socket never receives; it only transmits. Keeping it
  // apart from the capture socket lets the capture see our own frames leave
  // (the kernel never loops a frame back to the socket that sent it).
  tx_fd_ = UniqueFd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (!tx_fd_.valid()) throw SystemError(env, errno, "socket", "AF_PACKET on " + ifname_);
  if (int err = BindTo(tx_fd_.get(), ifindex_, 0)) throw SystemError(env, err, "bind", ifname_);
  ifreq ifr = {};
  std::strncpy(ifr.ifr_name, ifname_.c_str(), IFNAMSIZ - 1);
  if (ioctl(tx_fd_.get(), SIOCGIFHWADDR, &ifr) != 0) {
    throw SystemError(env, errno, "ioctl(SIOCGIFHWADDR)", ifname_);
  }
  std::memcpy(mac_, ifr.ifr_hwaddr.sa_data, 6);
  int big = 4 << 20;
  setsockopt(tx_fd_.get(), SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
}

void PacketSocket::OpenReceiver(Napi::Env env) {
  const char* failed = "";
  if (int err = OpenCaptureFd(opts_, ifindex_, &rx_fd_, &ring_, &failed)) {
    throw SystemError(env, err, failed, "capture ring on " + ifname_);
  }
}

// A capture socket prepared by openCaptureAsync on a pool thread
// (capture_open.h), for the interface and options this socket was made with.
void PacketSocket::AdoptReceiver(Napi::Env env, Napi::Value prepared) {
  PreparedCapture* p = PreparedCaptureOf(env, prepared);
  if (p == nullptr) throw Napi::TypeError::New(env, "prepared must come from openCaptureAsync");
  if (!p->fd.valid()) throw Napi::TypeError::New(env, "the prepared capture socket was already used");
  if (p->ifname != ifname_ || p->ifindex != ifindex_) {
    throw Napi::TypeError::New(env, "the prepared capture socket is on " + p->ifname + ", not " + ifname_);
  }
  rx_fd_ = std::move(p->fd);
  ring_.TakeFrom(p->ring);
}

Napi::Value PacketSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw SystemError(env, EBADF, "send", "socket is closed");
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "frame must be a Buffer");
  auto frame = info[0].As<Napi::Buffer<uint8_t>>();
  if (frame.Length() < ETH_HLEN)
    throw Napi::RangeError::New(env, "frame must be at least 14 bytes");
  ssize_t n = ::send(tx_fd_.get(), frame.Data(), frame.Length(), 0);
  if (n < 0) throw SystemError(env, errno, "send", ifname_);
  return env.Undefined();
}

Napi::Value PacketSocket::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw SystemError(env, EBADF, "start", "socket is closed");
  if (!opts_.capture) throw Napi::Error::New(env, "socket was opened with capture: false");
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "onBatch must be a function");
  on_batch_ = Napi::Persistent(info[0].As<Napi::Function>());
  if (!async_context_)
    async_context_ = std::make_unique<Napi::AsyncContext>(env, "vxprobe:PacketSocket");
  // While capturing, the socket stays alive even if JS drops every reference.
  watcher_.Start(rx_fd_.get(), static_cast<napi_ref>(*this));
  return env.Undefined();
}

Napi::Value PacketSocket::Stop(const Napi::CallbackInfo& info) {
  watcher_.Stop();
  return info.Env().Undefined();
}

Napi::Float64Array PacketSocket::RecordBuffer(Napi::Env env) {
  // One buffer for the socket's life, refilled on every wake-up: JS reads
  // it during the callback only (frame-record.ts assembles what it keeps).
  const size_t size = record_capacity_ * CaptureRec::kSize;
  if (!records_.IsEmpty()) {
    // JS held the array during the last callback and may have detached its
    // buffer (ArrayBuffer.prototype.transfer, postMessage): a detached array
    // has no data and length 0, and writing kRecordsPerWake records into it
    // would write through a null pointer. Then a new one is made
    // (docs/native-hardening.md).
    Napi::Float64Array current = records_.Value();
    if (current.ElementLength() == size && current.Data() != nullptr) return current;
    records_.Reset();
  }
  records_ = Napi::Persistent(Napi::Float64Array::New(env, size));
  return records_.Value();
}

void PacketSocket::Deliver(Napi::Env env, int status) {
  Napi::Value err = env.Null();
  Napi::Value records = env.Null();
  uint32_t n = 0;
  Napi::Value messages = env.Undefined();
  Napi::Value raws = env.Undefined();
  Napi::Value tokens = env.Undefined();
  if (status < 0) {
    err = SystemError(env, -status, "uv_poll", ifname_).Value();
  } else {
    Napi::Float64Array buffer = RecordBuffer(env);
    double* out = buffer.Data();
    Napi::Array message_list;
    Napi::Array raw_list;
    if (opts_.raw) raw_list = Napi::Array::New(env);
    std::vector<TokenHit> hits;
    std::vector<double> hit_times;
    std::vector<uint8_t> hit_out;
    std::string error, quoted_error;
    uint32_t with_messages = 0;
    const size_t capacity = record_capacity_;
    size_t budget = opts_.has_token_run ? kTokenFramesPerWake : capacity;
    ring_.Drain(budget, [&](const RingFrame& f) {
      TokenHit hit;
      if (opts_.has_token_run && FindToken(f.data, f.captured_len, opts_.token_run_id, &hit)) {
        hits.push_back(hit);
        hit_times.push_back(f.time_ms);
        hit_out.push_back(f.pkttype == PACKET_OUTGOING ? 1 : 0);
        return;
      }
      error.clear();
      quoted_error.clear();
      if (FillCaptureRecord(f, opts_.parse, out + static_cast<size_t>(n) * CaptureRec::kSize,
                            &error, &quoted_error)) {
        if (message_list.IsEmpty()) message_list = Napi::Array::New(env);
        message_list.Set(with_messages++, Napi::Number::New(env, n));
        auto text = [&](const std::string& m) {
          return m.empty() ? env.Null() : Napi::Value(Napi::String::New(env, m));
        };
        message_list.Set(with_messages++, text(error));
        message_list.Set(with_messages++, text(quoted_error));
      }
      if (opts_.raw) raw_list.Set(n, Napi::Buffer<uint8_t>::Copy(env, f.data, f.captured_len));
      ++n;
    }, [&]() { return n == capacity; });  // the rest waits for the next wake-up
    // A full buffer: the next wake-up gets one twice the size (RecordBuffer).
    if (n == capacity && capacity < kRecordsPerWake) {
      record_capacity_ = std::min(capacity * 2, kRecordsPerWake);
    }
    records = buffer;
    if (!message_list.IsEmpty()) messages = message_list;
    if (opts_.raw) raws = raw_list;
    if (opts_.has_token_run) {
      size_t count = hits.size();
      auto probe = Napi::Uint32Array::New(env, count);
      auto seq = Napi::Uint32Array::New(env, count);
      auto time = Napi::Float64Array::New(env, count);
      auto outgoing = Napi::Uint8Array::New(env, count);
      for (size_t i = 0; i < count; ++i) {
        probe[i] = hits[i].probe_id;
        seq[i] = hits[i].seq;
        time[i] = hit_times[i];
        outgoing[i] = hit_out[i];
      }
      Napi::Object t = Napi::Object::New(env);
      t.Set("runId", Napi::Number::New(env, opts_.token_run_id));
      t.Set("probeId", probe);
      t.Set("seq", seq);
      t.Set("time", time);
      t.Set("outgoing", outgoing);
      tokens = t;
    }
    if (n == 0 && (!opts_.has_token_run || hits.empty())) return;  // spurious wake-up
  }
  try {
    on_batch_.MakeCallback(Value(),
                           {err, records, Napi::Number::New(env, n), messages, raws, tokens},
                           *async_context_);
  } catch (const Napi::Error& e) {
    // A throwing JS callback becomes an uncaught exception, as for any event.
    napi_fatal_exception(env, e.Value());
  }
}

void PacketSocket::ReadStats() {
  if (!rx_fd_.valid()) return;
  tpacket_stats_v3 st = {};
  socklen_t len = sizeof(st);
  // The kernel resets its counters on every read, so we keep the running sums.
  if (getsockopt(rx_fd_.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
    // tp_packets counts dropped frames too.
    received_ += st.tp_packets - st.tp_drops;
    dropped_ += st.tp_drops;
    freezes_ += st.tp_freeze_q_cnt;
  }
}

Napi::Value PacketSocket::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ReadStats();
  Napi::Object s = Napi::Object::New(env);
  s.Set("received", Napi::Number::New(env, static_cast<double>(received_)));
  s.Set("dropped", Napi::Number::New(env, static_cast<double>(dropped_)));
  s.Set("freezes", Napi::Number::New(env, static_cast<double>(freezes_)));
  return s;
}

// The JS-thread half of every close: from here on the socket is closed for
// JS (send/start throw EBADF) and no batch callback runs again; what is
// returned still holds the kernel's sockets until it is released.
ClosedSocket PacketSocket::Detach() {
  closed_ = true;
  // Stop watching the fd (libuv takes it out of epoll now) before it is closed.
  watcher_.Stop();
  ReadStats();  // the counters stay readable after close
  records_.Reset();
  ClosedSocket closed;
  closed.rx = std::move(rx_fd_);
  closed.tx = std::move(tx_fd_);
  closed.ring = ring_.Release();
  return closed;
}

void PacketSocket::CloseAll() {
  if (closed_) return;
  Detach().Release();
}

Napi::Value PacketSocket::Close(const Napi::CallbackInfo& info) {
  CloseAll();
  on_batch_.Reset();
  return info.Env().Undefined();
}

Napi::Value PacketSocket::GetIfname(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), ifname_);
}
Napi::Value PacketSocket::GetIfindex(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ifindex_);
}
Napi::Value PacketSocket::GetMac(const Napi::CallbackInfo& info) {
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac_[0], mac_[1], mac_[2],
                mac_[3], mac_[4], mac_[5]);
  return Napi::String::New(info.Env(), text);
}
Napi::Value PacketSocket::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), closed_);
}

void InitPacketSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::DefineClass(env));
  exports.Set("openCaptureAsync",
              Napi::Function::New(env, Guarded<OpenCaptureAsyncJs>, "openCaptureAsync"));
  exports.Set("buildPortFilter",
              Napi::Function::New(env, Guarded<BuildPortFilterJs>, "buildPortFilter"));
}

}  // namespace vxprobe

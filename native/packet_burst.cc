// Burst sending for rate tests: N copies of one frame, each with its own
// sequence number, handed to the kernel 64 at a time with sendmmsg(2) so the
// per-frame cost is a copy and the kernel's own transmit path. sendBurst
// runs on the JS thread (fine for the CLI); sendBurstAsync on the libuv pool.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "packet_socket.h"
#include "promise_worker.h"
#include "socket_options.h"

namespace vxprobe {
namespace {

constexpr size_t kBatch = 64;
// The largest IPv4 packet plus an Ethernet header with one 802.1Q tag: no
// device sends more in one frame, and it bounds the copies (kBatch of them).
constexpr size_t kMaxFrame = 65535 + 18;

uint32_t ReadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
void WriteBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Ones-complement contribution of 4 bytes at `at` to a checksum whose
// covered region starts at `start` (a byte at an even distance is the high
// half of its 16-bit word).
uint32_t Contribution(const uint8_t* bytes, size_t at, size_t start) {
  uint32_t sum = 0;
  for (size_t k = 0; k < 4; ++k)
    sum += ((at + k - start) % 2 == 0) ? uint32_t{bytes[k]} << 8 : bytes[k];
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The checksum field to keep valid when the sequence changes (RFC 1624
// incremental update: HC' = ~(~HC + ~m + m')). Only the innermost checksum
// needs it: an outer checksum covers the whole inner segment, whose
// ones-complement sum stays the same once its own checksum is fixed.
struct ChecksumFix {
  bool enabled = false;
  size_t offset = 0;
  size_t start = 0;
  bool udp = false;  // 0 means "no checksum", and a computed 0 is sent as 0xffff
};

// One burst, with everything it needs copied out of JS: it can run on the
// JS thread (sendBurst) or a libuv pool thread (sendBurstAsync).
struct BurstJob {
  std::vector<uint8_t> frame;
  int64_t count = 0;
  bool stamp = false;
  size_t seq_offset = 0;
  ChecksumFix fix;
};

struct BurstResult {
  int64_t sent = 0;
  int err = 0;  // errno of the call that failed, 0 when all were sent
  const char* syscall = "sendmmsg";
};

// Reads and checks sendBurst's arguments; the frame bytes are copied.
BurstJob ReadBurstArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "frame must be a Buffer");
  // Only the length is taken here. The options below run JS (getters) that
  // may detach or free the buffer; a Napi::Buffer caches its data pointer and
  // length when it is wrapped, so the frame is wrapped again after them
  // (docs/native-hardening.md).
  const size_t len = info[0].As<Napi::Buffer<uint8_t>>().Length();
  if (len < 14) throw Napi::RangeError::New(env, "frame must be at least 14 bytes");
  if (len > kMaxFrame) {
    Napi::Error e = Napi::RangeError::New(env, "frame of " + std::to_string(len) +
                                                   " bytes is longer than any link can carry (" +
                                                   std::to_string(kMaxFrame) + ")");
    e.Set("code", Napi::String::New(env, "EMSGSIZE"));
    throw e;
  }
  BurstJob job;
  job.count = CheckedInteger(env, info[1], "count", 0, 1LL << 40);
  job.stamp = !info[2].IsUndefined();
  if (job.stamp) {
    job.seq_offset = static_cast<size_t>(
        CheckedInteger(env, info[2], "seqOffset", 0, static_cast<int64_t>(len) - 4));
  }
  ChecksumFix& fix = job.fix;
  if (!info[3].IsUndefined()) {
    if (!job.stamp) throw Napi::TypeError::New(env, "checksum needs seqOffset");
    if (!info[3].IsObject())
      throw Napi::TypeError::New(env, "checksum must be {offset, start, udp}");
    Napi::Object o = info[3].As<Napi::Object>();
    fix.enabled = true;
    fix.offset = static_cast<size_t>(
        CheckedInteger(env, o.Get("offset"), "checksum.offset", 0, static_cast<int64_t>(len) - 2));
    fix.start = static_cast<size_t>(CheckedInteger(env, o.Get("start"), "checksum.start", 0,
                                                   static_cast<int64_t>(job.seq_offset)));
    fix.udp = o.Get("udp").ToBoolean().Value();
    if (fix.offset + 2 > job.seq_offset && fix.offset < job.seq_offset + 4) {
      throw Napi::RangeError::New(env, "checksum.offset overlaps the sequence number");
    }
  }
  // Every option is read: no more JS runs, so a pointer taken now stays
  // valid while the bytes are copied.
  if (!info[0].IsBuffer() || info[0].As<Napi::Buffer<uint8_t>>().Length() != len) {
    throw Napi::TypeError::New(env, "frame was detached or resized while options were read");
  }
  const uint8_t* src = info[0].As<Napi::Buffer<uint8_t>>().Data();
  job.frame.assign(src, src + len);
  return job;
}

// Sends the burst on `fd`; touches no JS.
BurstResult RunBurst(int fd, const BurstJob& job) {
  const size_t len = job.frame.size();
  const bool stamp = job.stamp;
  const size_t seq_offset = job.seq_offset;
  const ChecksumFix& fix = job.fix;
  const int64_t count = job.count;
  const uint8_t* src = job.frame.data();
  const uint32_t base_seq = stamp ? ReadBe32(src + seq_offset) : 0;
  const uint32_t base_contrib = stamp ? Contribution(src + seq_offset, seq_offset, fix.start) : 0;
  const uint16_t base_csum =
      fix.enabled ? static_cast<uint16_t>((src[fix.offset] << 8) | src[fix.offset + 1]) : 0;
  const bool fix_csum = fix.enabled && !(fix.udp && base_csum == 0);

  BurstResult r;
  // Runs on a pool thread too, where no exception may escape: running out
  // of memory is reported like a failed call.
  std::vector<uint8_t> copies;
  std::vector<iovec> iov;
  std::vector<mmsghdr> msgs;
  try {
    copies.resize(kBatch * len);
    iov.resize(kBatch);
    msgs.resize(kBatch);
  } catch (const std::bad_alloc&) {
    r.err = ENOMEM;
    r.syscall = "sendBurst";
    return r;
  }
  for (size_t i = 0; i < kBatch; ++i) std::memcpy(&copies[i * len], src, len);
  for (size_t i = 0; i < kBatch; ++i) {
    iov[i] = {&copies[i * len], len};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  while (r.sent < count) {
    size_t batch = static_cast<size_t>(std::min<int64_t>(kBatch, count - r.sent));
    for (size_t i = 0; stamp && i < batch; ++i) {
      uint8_t* f = &copies[i * len];
      WriteBe32(f + seq_offset, base_seq + static_cast<uint32_t>(r.sent + static_cast<int64_t>(i)));
      if (!fix_csum) continue;
      uint32_t sum = static_cast<uint16_t>(~base_csum) +
                     static_cast<uint16_t>(~Fold(base_contrib)) +
                     Fold(Contribution(f + seq_offset, seq_offset, fix.start));
      uint16_t csum = static_cast<uint16_t>(~Fold(sum));
      if (fix.udp && csum == 0) csum = 0xffff;
      f[fix.offset] = static_cast<uint8_t>(csum >> 8);
      f[fix.offset + 1] = static_cast<uint8_t>(csum);
    }
    size_t done = 0;
    while (done < batch) {
      int n = sendmmsg(fd, &msgs[done], static_cast<unsigned>(batch - done), 0);
      if (n < 0) {
        int err = errno;
        if (err == EINTR) continue;
        if (err == ENOBUFS || err == EAGAIN) {
          // The device queue is full: wait for room rather than lose frames.
          pollfd pfd = {fd, POLLOUT, 0};
          ::poll(&pfd, 1, 10);
          continue;
        }
        r.sent += static_cast<int64_t>(done);
        r.err = err;
        return r;
      }
      done += static_cast<size_t>(n);
    }
    r.sent += static_cast<int64_t>(batch);
  }
  return r;
}

Napi::Error BurstError(Napi::Env env, const BurstResult& r, const std::string& ifname) {
  Napi::Error e = SystemError(env, r.err, r.syscall, ifname);
  e.Set("sent", Napi::Number::New(env, static_cast<double>(r.sent)));
  return e;
}

// The burst on a pool thread. It sends on its own dup() of the socket's fd,
// so closing the socket meanwhile cannot make it write to a reused fd, and
// it holds its own copy of the frame.
class BurstWorker : public PromiseWorker {
 public:
  BurstWorker(Napi::Env env, BurstJob job, UniqueFd fd, std::string ifname)
      : PromiseWorker(env, "sendBurstAsync"),
        job_(std::move(job)),
        fd_(std::move(fd)),
        ifname_(std::move(ifname)) {}

 private:
  void Work() override {
    result_ = RunBurst(fd_.get(), job_);
    fd_.reset();
  }
  Napi::Value Result(Napi::Env env) override {
    if (result_.err) throw BurstError(env, result_, ifname_);
    return Napi::Number::New(env, static_cast<double>(result_.sent));
  }

  BurstJob job_;
  UniqueFd fd_;
  std::string ifname_;
  BurstResult result_;
};

}  // namespace

Napi::Value PacketSocket::SendBurst(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw SystemError(env, EBADF, "sendBurst", "socket is closed");
  BurstJob job = ReadBurstArgs(info);
  // An option getter may have closed the socket.
  if (closed_) throw SystemError(env, EBADF, "sendBurst", "socket is closed");
  BurstResult r = RunBurst(tx_fd_.get(), job);
  if (r.err) throw BurstError(env, r, ifname_);
  return Napi::Number::New(env, static_cast<double>(r.sent));
}

Napi::Value PacketSocket::SendBurstAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw SystemError(env, EBADF, "sendBurstAsync", "socket is closed");
  BurstJob job = ReadBurstArgs(info);
  if (closed_) throw SystemError(env, EBADF, "sendBurstAsync", "socket is closed");
  UniqueFd fd(fcntl(tx_fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (!fd.valid()) throw SystemError(env, errno, "fcntl(F_DUPFD_CLOEXEC)", ifname_);
  auto* worker = new BurstWorker(env, std::move(job), std::move(fd), ifname_);  // freed by libuv
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace vxprobe

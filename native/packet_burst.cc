// Burst sending for rate tests: N copies of one frame, each with its own
// sequence number, handed to the kernel 64 at a time with sendmmsg(2) so the
// per-frame cost is a copy and the kernel's own transmit path. sendBurst
// runs on the JS thread (fine for the CLI); sendBurstAsync on the libuv pool.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "packet_socket.h"
#include "socket_options.h"

namespace vxprobe {
namespace {

constexpr size_t kBatch = 64;

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
  int err = 0;  // errno of the sendmmsg that failed, 0 when all were sent
};

// Reads and checks sendBurst's arguments; the frame bytes are copied.
BurstJob ReadBurstArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "frame must be a Buffer");
  auto frame = info[0].As<Napi::Buffer<uint8_t>>();
  const size_t len = frame.Length();
  if (len < 14) throw Napi::RangeError::New(env, "frame must be at least 14 bytes");
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
  // Copied last, after every check: the getters above may run JS that
  // detaches or resizes the buffer, so its pointer is taken only now.
  job.frame.assign(frame.Data(), frame.Data() + frame.Length());
  if (job.frame.size() != len) {
    throw Napi::RangeError::New(env, "frame changed while reading options");
  }
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

  std::vector<uint8_t> copies(kBatch * len);
  for (size_t i = 0; i < kBatch; ++i) std::memcpy(&copies[i * len], src, len);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    iov[i] = {&copies[i * len], len};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  BurstResult r;
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
  Napi::Error e = SystemError(env, r.err, "sendmmsg", ifname);
  e.Set("sent", Napi::Number::New(env, static_cast<double>(r.sent)));
  return e;
}

// The burst on a pool thread. It sends on its own dup() of the socket's fd,
// so closing the socket meanwhile cannot make it write to a reused fd, and
// it holds its own copy of the frame.
class BurstWorker : public Napi::AsyncWorker {
 public:
  BurstWorker(Napi::Env env, BurstJob job, UniqueFd fd, std::string ifname)
      : Napi::AsyncWorker(env, "vxprobe:sendBurst"),
        job_(std::move(job)),
        fd_(std::move(fd)),
        ifname_(std::move(ifname)),
        deferred_(env) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    result_ = RunBurst(fd_.get(), job_);
    fd_.reset();
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (result_.err) deferred_.Reject(BurstError(env, result_, ifname_).Value());
    else deferred_.Resolve(Napi::Number::New(env, static_cast<double>(result_.sent)));
  }

 private:
  BurstJob job_;
  UniqueFd fd_;
  std::string ifname_;
  Napi::Promise::Deferred deferred_;
  BurstResult result_;
};

}  // namespace

Napi::Value PacketSocket::SendBurst(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw SystemError(env, EBADF, "sendBurst", "socket is closed");
  BurstJob job = ReadBurstArgs(info);
  BurstResult r = RunBurst(tx_fd_.get(), job);
  if (r.err) throw BurstError(env, r, ifname_);
  return Napi::Number::New(env, static_cast<double>(r.sent));
}

Napi::Value PacketSocket::SendBurstAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw SystemError(env, EBADF, "sendBurstAsync", "socket is closed");
  BurstJob job = ReadBurstArgs(info);
  UniqueFd fd(fcntl(tx_fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (!fd.valid()) throw SystemError(env, errno, "fcntl(F_DUPFD_CLOEXEC)", ifname_);
  auto* worker = new BurstWorker(env, std::move(job), std::move(fd), ifname_);  // freed by libuv
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace vxprobe

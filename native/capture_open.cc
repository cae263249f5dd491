#include "capture_open.h"

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <utility>
#include <vector>

#include "bpf.h"
#include "promise_worker.h"
#include "socket_options.h"

namespace vxprobe {
namespace {

constexpr napi_type_tag kPreparedCaptureTag = {0x7678'7072'6f62'6543ULL, 0x6170'7475'7265'5250ULL};

int AttachFilter(int fd, std::vector<sock_filter>& prog) {
  sock_fprog fprog = {};
  fprog.len = static_cast<unsigned short>(prog.size());
  fprog.filter = prog.data();
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) == 0 ? 0 : errno;
}

class OpenCaptureWorker : public PromiseWorker {
 public:
  OpenCaptureWorker(Napi::Env env, std::string ifname, SocketOptions opts)
      : PromiseWorker(env, "openCaptureAsync"), opts_(std::move(opts)) {
    prepared_->ifname = std::move(ifname);
  }

 private:
  void Work() override {
    prepared_->ifindex = static_cast<int>(if_nametoindex(prepared_->ifname.c_str()));
    if (prepared_->ifindex == 0) {
      err_ = errno == 0 ? ENODEV : errno;
      failed_ = "if_nametoindex";
      return;
    }
    err_ = OpenCaptureFd(opts_, prepared_->ifindex, &prepared_->fd, &prepared_->ring, &failed_);
  }

  Napi::Value Result(Napi::Env env) override {
    if (err_) {
      const bool no_device = std::string(failed_) == "if_nametoindex";
      throw SystemError(env, err_, failed_,
                        no_device ? "interface " + prepared_->ifname : "capture ring on " + prepared_->ifname);
    }
    // Released (fd closed, ring unmapped) when collected, unless adopted first.
    PreparedCapture* raw = prepared_.release();
    auto handle = Napi::External<PreparedCapture>::New(env, raw, [](Napi::Env, PreparedCapture* p) { delete p; });
    if (napi_type_tag_object(env, handle, &kPreparedCaptureTag) != napi_ok) throw Napi::Error::New(env);
    return handle;
  }

  SocketOptions opts_;
  std::unique_ptr<PreparedCapture> prepared_ = std::make_unique<PreparedCapture>();
  int err_ = 0;
  const char* failed_ = "";
};

}  // namespace

int BindTo(int fd, int ifindex, uint16_t protocol) {
  sockaddr_ll sll = {};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(protocol);
  sll.sll_ifindex = ifindex;
  return bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) == 0 ? 0 : errno;
}

int OpenCaptureFd(const SocketOptions& opts, int ifindex, UniqueFd* fd, RxRing* ring,
                  const char** failed) {
  // Created with protocol 0 the socket is not yet hooked into the receive
  // path; the real filter is attached before bind() hooks it in with
  // ETH_P_ALL, so no unfiltered frame can ever land in the ring.
  UniqueFd rx(socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!rx.valid()) {
    *failed = "socket";
    return errno;
  }
  std::vector<sock_filter> prog = BuildUdpPortFilter(opts.ports, opts.icmp, opts.snap_len);
  if (int err = AttachFilter(rx.get(), prog)) {
    *failed = "setsockopt(SO_ATTACH_FILTER)";
    return err;
  }
  int rcvbuf = 8 << 20;
  setsockopt(rx.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  RxRing mapped;
  if (int err = mapped.Map(rx.get(), opts.ring_block_size, opts.ring_blocks, opts.retire_ms, failed)) {
    return err;
  }
  if (int err = BindTo(rx.get(), ifindex, ETH_P_ALL)) {
    *failed = "bind";
    return err;
  }
  if (opts.promiscuous) {
    packet_mreq mreq = {};
    mreq.mr_ifindex = ifindex;
    mreq.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(rx.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
      *failed = "setsockopt(PACKET_ADD_MEMBERSHIP)";
      return errno;
    }
  }
  *fd = std::move(rx);
  ring->TakeFrom(mapped);
  return 0;
}

PreparedCapture* PreparedCaptureOf(Napi::Env env, Napi::Value value) {
  bool tagged = false;
  if (!value.IsExternal() || napi_check_object_type_tag(env, value, &kPreparedCaptureTag, &tagged) != napi_ok ||
      !tagged) {
    return nullptr;
  }
  return value.As<Napi::External<PreparedCapture>>().Data();
}

Napi::Value OpenCaptureAsyncJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "ifname must be a string");
  std::string ifname = info[0].As<Napi::String>().Utf8Value();
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) throw Napi::RangeError::New(env, "ifname must be 1 to 15 bytes");
  SocketOptions opts;
  if (!ParseSocketOptions(env, info[1], &opts)) return env.Undefined();  // exception already set
  if (!opts.capture) throw Napi::TypeError::New(env, "openCaptureAsync needs capture: true");
  auto* worker = new OpenCaptureWorker(env, std::move(ifname), std::move(opts));  // freed by libuv
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace vxprobe

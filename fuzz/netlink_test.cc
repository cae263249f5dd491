// Unit test of the netlink reply checks (security review L9, issue 8 item 11;
// docs/native-hardening.md). Built with ASan + UBSan by CMakeLists.txt and run
// by scripts/fuzz.sh: a short NLMSG_ERROR or an oversized rtnh_len would be a
// heap over-read here, and a reply forged by another netlink socket must not
// be taken for the kernel's. Exit status 0 = every check passed.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "netlink_socket.h"

using namespace vxprobe;

namespace {

int failures = 0;
#define EXPECT(cond)                                                            \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
      ++failures;                                                               \
    }                                                                           \
  } while (0)

// Bytes in a heap block of exactly their size, so ASan sees any over-read.
std::unique_ptr<uint8_t[]> Exact(const std::vector<uint8_t>& v) {
  std::unique_ptr<uint8_t[]> p(new uint8_t[v.size()]);
  std::memcpy(p.get(), v.data(), v.size());
  return p;
}

void ShortErrorMessage() {
  // An NLMSG_ERROR whose length covers only the header: no error code in it.
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_HDRLEN;
  h.nlmsg_type = NLMSG_ERROR;
  h.nlmsg_seq = 7;
  std::vector<uint8_t> bytes(reinterpret_cast<uint8_t*>(&h), reinterpret_cast<uint8_t*>(&h) + sizeof h);
  auto buf = Exact(bytes);
  for (bool dump : {false, true}) {
    std::vector<NetlinkMessage> out;
    bool interrupted = false;
    int err = 0;
    try {
      ReadReplies(buf.get(), bytes.size(), 7, dump, "test", &out, &interrupted);
    } catch (const NetlinkError& e) {
      err = e.err;
    }
    EXPECT(err == EBADMSG);
  }
}

void WholeErrorMessage() {
  struct {
    nlmsghdr h;
    nlmsgerr e;
  } msg{};
  msg.h.nlmsg_len = sizeof msg;
  msg.h.nlmsg_type = NLMSG_ERROR;
  msg.h.nlmsg_seq = 3;
  msg.e.error = -ENODEV;
  std::vector<uint8_t> bytes(reinterpret_cast<uint8_t*>(&msg), reinterpret_cast<uint8_t*>(&msg) + sizeof msg);
  auto buf = Exact(bytes);
  std::vector<NetlinkMessage> out;
  bool interrupted = false;
  int err = 0;
  try {
    ReadReplies(buf.get(), bytes.size(), 3, false, "test", &out, &interrupted);
  } catch (const NetlinkError& e) {
    err = e.err;
  }
  EXPECT(err == ENODEV);
  msg.e.error = INT32_MIN;  // not an errno: must not be negated (UB) or trusted
  std::memcpy(buf.get(), &msg, sizeof msg);
  err = 0;
  try {
    ReadReplies(buf.get(), bytes.size(), 3, false, "test", &out, &interrupted);
  } catch (const NetlinkError& e) {
    err = e.err;
  }
  EXPECT(err == EBADMSG);
}

std::vector<uint8_t> Multipath(uint16_t rtnh_len, bool with_gateway) {
  // RTA_MULTIPATH { rtnexthop { RTA_GATEWAY 4 bytes }? }, rtnh_len as given.
  std::vector<uint8_t> v(RTA_LENGTH(sizeof(rtnexthop) + (with_gateway ? RTA_LENGTH(4) : 0)));
  auto* mp = reinterpret_cast<rtattr*>(v.data());
  mp->rta_len = static_cast<uint16_t>(v.size());
  mp->rta_type = RTA_MULTIPATH;
  auto* nh = reinterpret_cast<rtnexthop*>(RTA_DATA(mp));
  nh->rtnh_len = rtnh_len;
  nh->rtnh_ifindex = 5;
  if (with_gateway) {
    auto* gw = reinterpret_cast<rtattr*>(reinterpret_cast<uint8_t*>(nh) + RTNH_LENGTH(0));
    gw->rta_len = RTA_LENGTH(4);
    gw->rta_type = RTA_GATEWAY;
    std::memcpy(RTA_DATA(gw), "\x0a\x00\x00\x01", 4);
  }
  return v;
}

void MultipathLengths() {
  std::vector<uint8_t> good = Multipath(RTNH_LENGTH(RTA_LENGTH(4)), true);
  auto buf = Exact(good);
  NextHop hop;
  EXPECT(FirstNextHop(reinterpret_cast<rtattr*>(buf.get()), &hop));
  EXPECT(hop.ifindex == 5 && hop.gateway != nullptr);

  // rtnh_len claims far more than the attribute holds: an over-read before.
  std::vector<uint8_t> bad = Multipath(4000, false);
  auto bad_buf = Exact(bad);
  EXPECT(!FirstNextHop(reinterpret_cast<rtattr*>(bad_buf.get()), &hop));
  std::vector<uint8_t> tiny = Multipath(2, false);  // shorter than rtnexthop itself
  auto tiny_buf = Exact(tiny);
  EXPECT(!FirstNextHop(reinterpret_cast<rtattr*>(tiny_buf.get()), &hop));
}

// Another netlink socket (CAP_NET_ADMIN) unicasts a forged reply to ours;
// then the kernel answers a NOOP with an ACK. Only the kernel's may be read.
void ForgedSender() {
  int ours = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  int forger = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  EXPECT(ours >= 0 && forger >= 0);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  EXPECT(bind(ours, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  EXPECT(bind(forger, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  socklen_t alen = sizeof local;
  EXPECT(getsockname(ours, reinterpret_cast<sockaddr*>(&local), &alen) == 0);

  nlmsghdr forged{};
  forged.nlmsg_len = NLMSG_HDRLEN;
  forged.nlmsg_type = NLMSG_DONE;
  forged.nlmsg_seq = 1;
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  to.nl_pid = local.nl_pid;
  if (sendto(forger, &forged, sizeof forged, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
    std::fprintf(stderr, "FAIL: cannot send the forged reply (%s): run as root\n", std::strerror(errno));
    ++failures;
  }
  nlmsghdr noop{};
  noop.nlmsg_len = NLMSG_HDRLEN;
  noop.nlmsg_type = NLMSG_NOOP;
  noop.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  noop.nlmsg_seq = 1;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  EXPECT(sendto(ours, &noop, sizeof noop, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) > 0);

  std::vector<uint8_t> rx(8192);
  ssize_t n = ReceiveFromKernel(ours, &rx);
  EXPECT(n >= static_cast<ssize_t>(NLMSG_HDRLEN));
  if (n >= static_cast<ssize_t>(NLMSG_HDRLEN)) {
    auto* h = reinterpret_cast<nlmsghdr*>(rx.data());
    EXPECT(h->nlmsg_type == NLMSG_ERROR);  // the kernel's ACK, not the forged DONE
  }
  close(ours);
  close(forger);
}

}  // namespace

int main() {
  ShortErrorMessage();
  WholeErrorMessage();
  MultipathLengths();
  ForgedSender();
  if (failures) {
    std::fprintf(stderr, "netlink_test: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("netlink_test: all checks passed\n");
  return 0;
}

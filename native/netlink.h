// rtnetlink table dumps (netlink.cc), synchronous for the CLI and
// asynchronous for embedders (netlink_async.cc): the socket work runs on a
// worker thread, the rows are built on the JS thread in slices.
#pragma once
#include <napi.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "netlink_socket.h"

namespace vxprobe {

class KeyCache;
using LinkNameMap = std::unordered_map<int, std::string>;

struct TableSpec {
  const char* name;  // 'links', 'addrs', 'routes', 'neighbors', 'fdb'
  bool needs_names;  // rows carry ifname: the dump also reads the link names
  NetlinkRequest (*request)();
  // The row of one reply message, or an empty value to skip it.
  Napi::Value (*row)(Napi::Env env, KeyCache& key, const LinkNameMap& names,
                     const NetlinkMessage& m);
};

// One table's reply messages, read but not yet turned into rows.
struct TableDump {
  const TableSpec* spec = nullptr;
  LinkNameMap names;
  std::vector<NetlinkMessage> messages;
  size_t next = 0;  // first message not yet built
};

const TableSpec* FindTable(const std::string& name);
// The socket work only: no N-API, safe on any thread. Throws NetlinkError.
TableDump DumpTable(const TableSpec& spec);
// Appends the rows of up to `max` more messages to `out`; returns how many messages are left.
size_t BuildRows(Napi::Env env, TableDump& d, size_t max, Napi::Array out);

void InitNetlink(Napi::Env env, Napi::Object exports);
void InitNetlinkAsync(Napi::Env env, Napi::Object exports);
void InitNetlinkWatch(Napi::Env env, Napi::Object exports);

}  // namespace vxprobe

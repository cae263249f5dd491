{
  "targets": [
    {
      "target_name": "vxprobe",
      "sources": [
        "native/addon.cc",
        "native/frame.cc",
        "native/frame_parse.cc",
        "native/frame_build.cc",
        "native/frame_spec.cc",
        "native/frame_record.cc",
        "native/bpf.cc",
        "native/packet_socket.cc",
        "native/capture_open.cc",
        "native/packet_burst.cc",
        "native/packet_close.cc",
        "native/fd_watcher.cc",
        "native/socket_options.cc",
        "native/capture_record.cc",
        "native/token_find.cc",
        "native/probe_tag.cc",
        "native/ring.cc",
        "native/netlink.cc",
        "native/netlink_socket.cc",
        "native/netlink_util.cc",
        "native/netlink_query.cc",
        "native/netlink_async.cc",
        "native/netlink_watch.cc",
        "native/netlink_announce.cc",
        "native/ethtool.cc",
        "native/raw_ip_socket.cc",
        "native/file_ops.cc",
        "native/tcp_mss.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "defines!": ["NAPI_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}

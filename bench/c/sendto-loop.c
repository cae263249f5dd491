// The practical limit the addon's burst sender is measured against: the
// simplest AF_PACKET transmit loop, one sendto() per frame, same frame bytes.
// usage: sendto-loop IFNAME HEXFRAME COUNT   -> prints "sent SECONDS"
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s IFNAME HEXFRAME COUNT\n", argv[0]);
    return 2;
  }
  size_t len = strlen(argv[2]) / 2;
  unsigned char* frame = malloc(len);
  for (size_t i = 0; i < len; i++) sscanf(argv[2] + 2 * i, "%2hhx", &frame[i]);
  long count = atol(argv[3]);
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = (int)if_nametoindex(argv[1]);
  sll.sll_halen = ETH_ALEN;
  memcpy(sll.sll_addr, frame, ETH_ALEN);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long sent = 0;
  for (long i = 0; i < count; i++) {
    if (sendto(fd, frame, len, 0, (struct sockaddr*)&sll, sizeof(sll)) == (ssize_t)len) sent++;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%ld %.6f\n", sent, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}

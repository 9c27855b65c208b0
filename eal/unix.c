/* SPDX-License-Identifier: BSD-3-Clause */
/* unix.c - a message with file descriptors on a unix socket (tern_unix.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tern_unix.h"

ssize_t tern_unix_send(int sock, const void *buf, size_t len, const int *fds, unsigned nfd,
                       int flags)
{
	char ctl[CMSG_SPACE(sizeof(int) * TERN_UNIX_MAX_FDS)];
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (nfd > TERN_UNIX_MAX_FDS)
		return -EINVAL;
	if (nfd > 0) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfd);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfd);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfd);
	}
	do
		n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

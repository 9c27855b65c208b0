/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_unix.h - one message on a unix stream socket with file descriptors
 * passed alongside (SCM_RIGHTS, unix(7)): what the vhost-user and memif
 * control channels send. Internal to the library and its tests.
 */
#ifndef TERN_UNIX_H
#define TERN_UNIX_H

#include <stddef.h>
#include <sys/types.h>

#define TERN_UNIX_MAX_FDS 16

/*
 * sendmsg(2) of len bytes at buf with nfd descriptors, flags as sendmsg's
 * (MSG_NOSIGNAL is always added), retried on EINTR. Returns the bytes sent
 * or a negative errno; -EINVAL for more than TERN_UNIX_MAX_FDS descriptors.
 * Silent: the caller writes the one error line.
 */
ssize_t tern_unix_send(int sock, const void *buf, size_t len, const int *fds, unsigned nfd,
                       int flags);

#endif /* TERN_UNIX_H */

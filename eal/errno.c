/* SPDX-License-Identifier: BSD-3-Clause */
/* errno.c - the per-thread error value of functions that return a pointer. */
#include "tern_common.h"

_Thread_local int tern_errno __attribute__((tls_model("initial-exec")));

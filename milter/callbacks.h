#ifndef DEPT_MILTER_CALLBACKS_H
#define DEPT_MILTER_CALLBACKS_H
/*
 * callbacks - libmilter events turned into decide() calls
 *
 * callbacks_register() hands deptmilter's callbacks to libmilter
 * (smfi_register) and keeps a pointer to the configuration, which must
 * stay valid and unchanged while smfi_main() runs.  Returns libmilter's
 * MI_SUCCESS or MI_FAILURE.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "milter/config.h"

int     callbacks_register(const struct config *cf);

#endif

#ifndef HOTLINE1022_CPJSIP_SHIM_H
#define HOTLINE1022_CPJSIP_SHIM_H
/* SwiftPM drops -D flags from pkg-config Cflags, and libpjproject.pc relies on -DPJ_AUTOCONF=1:
 * without it pj/config.h silently falls back to another configuration (see shared/PJSIP.md). */
#ifndef PJ_AUTOCONF
#define PJ_AUTOCONF 1
#endif
#ifndef PJ_IS_LITTLE_ENDIAN
#define PJ_IS_LITTLE_ENDIAN 1
#define PJ_IS_BIG_ENDIAN 0
#endif
#include <pjsua-lib/pjsua.h>
#include <pjmedia.h>
/* glibc's syncfs(2) is declared only under _GNU_SOURCE, which Swift's Glibc module does not set; the recording
 * writer syncs all recordings' data with one call instead of one fdatasync per file. */
extern int syncfs(int fd);
/* Likewise pthread_setname_np(3): names our own threads as `top -H` and `perf` show them. */
extern int pthread_setname_np(pthread_t thread, const char *name);
#endif

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
#endif

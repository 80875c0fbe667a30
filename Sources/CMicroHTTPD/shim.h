#ifndef HOTLINE1022_CMICROHTTPD_SHIM_H
#define HOTLINE1022_CMICROHTTPD_SHIM_H
/* microhttpd.h expects the platform's socket and integer types to be declared first
 * ("include <sys/types.h>, <sys/socket.h> ... before microhttpd.h"). */
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <microhttpd.h>

/* MHD_get_connection_info and MHD_get_daemon_info are variadic, which Swift cannot call;
 * these two fixed-argument wrappers ask only for what the server needs. */
static inline const struct sockaddr *hl_mhd_client_address(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

static inline uint16_t hl_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/* The reader's sentinels are macros with casts, which Swift does not import. */
static const ssize_t HL_MHD_CONTENT_READER_END_OF_STREAM = -1;
static const ssize_t HL_MHD_CONTENT_READER_END_WITH_ERROR = -2;
static const uint64_t HL_MHD_SIZE_UNKNOWN = UINT64_MAX;
#endif

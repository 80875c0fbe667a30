#ifndef HOTLINE1022_CLIBPQ_SHIM_H
#define HOTLINE1022_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif

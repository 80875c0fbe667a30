#ifndef HOTLINE1022_CSQLITE_SHIM_H
#define HOTLINE1022_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif

#ifndef HOTLINE1022_CCRYPTO_SHIM_H
#define HOTLINE1022_CCRYPTO_SHIM_H
/* OpenSSL's libcrypto, for scrypt (EVP_PBE_scrypt), RAND_bytes, CRYPTO_memcmp and HMAC-SHA256 (HMAC) only. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#endif

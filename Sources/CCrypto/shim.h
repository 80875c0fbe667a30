#ifndef HOTLINE1022_CCRYPTO_SHIM_H
#define HOTLINE1022_CCRYPTO_SHIM_H
/* OpenSSL's libcrypto, for scrypt (EVP_PBE_scrypt), RAND_bytes and CRYPTO_memcmp only. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#endif

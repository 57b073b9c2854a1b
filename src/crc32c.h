/* crc32c.h — CRC-32C (Castagnoli), the journal's record checksum
 * (internal).
 *
 * Why CRC-32C: it detects every burst error up to 32 bits and all
 * 1- to 3-bit errors in records far longer than ours, and it is what
 * iSCSI, ext4 and LevelDB use for the same job. Reflected polynomial
 * 0x82F63B78, initial value and final XOR 0xFFFFFFFF: crc32c("123456789")
 * is 0xE3069283. Portable C (slicing by 8 bytes); no I/O, no allocation,
 * thread-safe (the tables are built at compile time).
 */
#ifndef WQI_CRC32C_H
#define WQI_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of len bytes at data (data may be NULL when len is 0). */
uint32_t wqi_crc32c(const void *data, size_t len);

/* Continue a CRC over more bytes: wqi_crc32c_extend(wqi_crc32c(a), b) is
 * the CRC of a followed by b. Start from 0 for an empty prefix. */
uint32_t wqi_crc32c_extend(uint32_t crc, const void *data, size_t len);

#endif /* WQI_CRC32C_H */
